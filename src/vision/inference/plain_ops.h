// Plain-loop tensor operators the fast backend runs outside oneDNN: element-wise arithmetic with
// NumPy broadcasting, concatenation, slicing, softmax. Tensors are dense row-major float arrays
// described by their dims; none of these allocate.
#pragma once

#include <cstdint>
#include <vector>

namespace likeness::vision::inference {

using Dims = std::vector<int64_t>;

int64_t Elements(const Dims& d);

enum class BinaryOp { kAdd, kSub, kMul, kDiv };
enum class UnaryOp { kRelu, kExp };

// The broadcast result shape of a and b, or empty when they do not broadcast.
Dims BroadcastDims(const Dims& a, const Dims& b);

// out = a (op) b with NumPy broadcasting to out_dims (= BroadcastDims(a_dims, b_dims)).
void Binary(BinaryOp op, const float* a, const Dims& a_dims, const float* b, const Dims& b_dims,
            float* out, const Dims& out_dims);
void Unary(UnaryOp op, const float* in, float* out, int64_t n);
// PReLU with one slope per channel; `channel_stride` elements share a slope and `channels` slopes
// repeat (NHWC: stride 1; NCHW: stride H*W).
void PRelu(const float* in, const float* slope, float* out, int64_t n, int64_t channels,
           int64_t channel_stride);
// In place on an NHWC tensor of `pixels` x `channels`: PReLU with one slope per channel, or ReLU
// when `slope` is null.
void ActivateNhwc(float* data, const float* slope, int64_t pixels, int64_t channels);
// Concatenates along `axis`; every input has out_dims except at that axis.
void Concat(const std::vector<const float*>& in, const std::vector<Dims>& in_dims, int axis,
            float* out, const Dims& out_dims);
// out = in[..., start:start+out_dims[axis], ...] along `axis`.
void Slice(const float* in, const Dims& in_dims, int axis, int64_t start, float* out,
           const Dims& out_dims);
// Softmax over the last axis.
void SoftmaxLast(const float* in, float* out, const Dims& dims);

}  // namespace likeness::vision::inference
