#include "vision/inference/plain_ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace likeness::vision::inference {
namespace {

// The hot loops below are compiled for AVX-512, AVX2 and plain x86-64 (the CPU picks at load time)
// and written without branches on the data, so they vectorise.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define LIKENESS_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define LIKENESS_CLONES
#endif

template <BinaryOp kOp>
inline float Apply(float a, float b) {
  if constexpr (kOp == BinaryOp::kAdd) return a + b;
  if constexpr (kOp == BinaryOp::kSub) return a - b;
  if constexpr (kOp == BinaryOp::kMul) return a * b;
  return a / b;
}

// out[i] = a[i * a_step] (op) b[i * b_step], a step being 0 (a broadcast scalar) or 1.
template <BinaryOp kOp>
void BinaryRun(const float* __restrict a, int64_t a_step, const float* __restrict b, int64_t b_step,
               float* __restrict out, int64_t n) {
  if (a_step && b_step) {
    for (int64_t i = 0; i < n; ++i) out[i] = Apply<kOp>(a[i], b[i]);
  } else if (a_step) {
    const float y = b[0];
    for (int64_t i = 0; i < n; ++i) out[i] = Apply<kOp>(a[i], y);
  } else {
    const float x = a[0];
    for (int64_t i = 0; i < n; ++i) out[i] = Apply<kOp>(x, b[i]);
  }
}

LIKENESS_CLONES void BinaryDense(BinaryOp op, const float* a, int64_t a_step, const float* b,
                                 int64_t b_step, float* out, int64_t n) {
  switch (op) {
    case BinaryOp::kAdd:
      return BinaryRun<BinaryOp::kAdd>(a, a_step, b, b_step, out, n);
    case BinaryOp::kSub:
      return BinaryRun<BinaryOp::kSub>(a, a_step, b, b_step, out, n);
    case BinaryOp::kMul:
      return BinaryRun<BinaryOp::kMul>(a, a_step, b, b_step, out, n);
    case BinaryOp::kDiv:
      return BinaryRun<BinaryOp::kDiv>(a, a_step, b, b_step, out, n);
  }
}

float ApplyAny(BinaryOp op, float a, float b) {
  switch (op) {
    case BinaryOp::kAdd:
      return a + b;
    case BinaryOp::kSub:
      return a - b;
    case BinaryOp::kMul:
      return a * b;
    case BinaryOp::kDiv:
      return a / b;
  }
  return 0;
}

// Row-major strides of `d` aligned right to `rank` dims, 0 where the dim is broadcast.
std::vector<int64_t> BroadcastStrides(const Dims& d, size_t rank) {
  std::vector<int64_t> s(rank, 0);
  int64_t stride = 1;
  for (size_t k = 0; k < d.size(); ++k) {
    const size_t from_end = d.size() - 1 - k;
    const size_t at = rank - 1 - k;
    s[at] = d[from_end] == 1 ? 0 : stride;
    stride *= d[from_end];
  }
  return s;
}

}  // namespace

int64_t Elements(const Dims& d) {
  int64_t n = 1;
  for (int64_t x : d) n *= x;
  return n;
}

Dims BroadcastDims(const Dims& a, const Dims& b) {
  const size_t rank = std::max(a.size(), b.size());
  Dims out(rank);
  for (size_t k = 0; k < rank; ++k) {
    const int64_t x = k < a.size() ? a[a.size() - 1 - k] : 1;
    const int64_t y = k < b.size() ? b[b.size() - 1 - k] : 1;
    if (x != y && x != 1 && y != 1) return {};
    out[rank - 1 - k] = std::max(x, y);
  }
  return out;
}

void Binary(BinaryOp op, const float* a, const Dims& a_dims, const float* b, const Dims& b_dims,
            float* out, const Dims& out_dims) {
  const int64_t n = Elements(out_dims);
  const int64_t na = Elements(a_dims), nb = Elements(b_dims);
  if ((na == n || na == 1) && (nb == n || nb == 1)) {
    BinaryDense(op, a, na == n ? 1 : 0, b, nb == n ? 1 : 0, out, n);
    return;
  }
  const size_t rank = out_dims.size();
  const auto sa = BroadcastStrides(a_dims, rank), sb = BroadcastStrides(b_dims, rank);
  std::vector<int64_t> idx(rank, 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t ia = 0, ib = 0;
    for (size_t k = 0; k < rank; ++k) ia += idx[k] * sa[k], ib += idx[k] * sb[k];
    out[i] = ApplyAny(op, a[ia], b[ib]);
    for (size_t k = rank; k-- > 0;) {
      if (++idx[k] < out_dims[k]) break;
      idx[k] = 0;
    }
  }
}

LIKENESS_CLONES void Unary(UnaryOp op, const float* __restrict in, float* __restrict out,
                           int64_t n) {
  if (op == UnaryOp::kRelu) {
    for (int64_t i = 0; i < n; ++i) out[i] = std::max(in[i], 0.0f);
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = std::exp(in[i]);
  }
}

LIKENESS_CLONES void PRelu(const float* __restrict in, const float* __restrict slope,
                           float* __restrict out, int64_t n, int64_t channels,
                           int64_t channel_stride) {
  for (int64_t start = 0; start < n; start += channel_stride) {
    const float s = slope[(start / channel_stride) % channels];
    const int64_t end = std::min(n, start + channel_stride);
    for (int64_t i = start; i < end; ++i) {
      const float x = in[i];
      out[i] = std::max(x, 0.0f) + s * std::min(x, 0.0f);
    }
  }
}

LIKENESS_CLONES void ActivateNhwc(float* __restrict data, const float* __restrict slope,
                                  int64_t pixels, int64_t channels) {
  for (int64_t px = 0; px < pixels; ++px) {
    float* __restrict v = data + px * channels;
    if (slope) {
      for (int64_t c = 0; c < channels; ++c) {
        v[c] = std::max(v[c], 0.0f) + slope[c] * std::min(v[c], 0.0f);
      }
    } else {
      for (int64_t c = 0; c < channels; ++c) v[c] = std::max(v[c], 0.0f);
    }
  }
}

void Concat(const std::vector<const float*>& in, const std::vector<Dims>& in_dims, int axis,
            float* out, const Dims& out_dims) {
  int64_t outer = 1, inner = 1;
  for (int k = 0; k < axis; ++k) outer *= out_dims[k];
  for (size_t k = axis + 1; k < out_dims.size(); ++k) inner *= out_dims[k];
  const int64_t out_row = out_dims[axis] * inner;
  int64_t offset = 0;
  for (size_t t = 0; t < in.size(); ++t) {
    const int64_t row = in_dims[t][axis] * inner;
    for (int64_t o = 0; o < outer; ++o) {
      std::memcpy(out + o * out_row + offset, in[t] + o * row, sizeof(float) * row);
    }
    offset += row;
  }
}

void Slice(const float* in, const Dims& in_dims, int axis, int64_t start, float* out,
           const Dims& out_dims) {
  int64_t outer = 1, inner = 1;
  for (int k = 0; k < axis; ++k) outer *= in_dims[k];
  for (size_t k = axis + 1; k < in_dims.size(); ++k) inner *= in_dims[k];
  const int64_t in_row = in_dims[axis] * inner, out_row = out_dims[axis] * inner;
  for (int64_t o = 0; o < outer; ++o) {
    std::memcpy(out + o * out_row, in + o * in_row + start * inner, sizeof(float) * out_row);
  }
}

void SoftmaxLast(const float* in, float* out, const Dims& dims) {
  const int64_t last = dims.back();
  const int64_t rows = Elements(dims) / last;
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = in + r * last;
    float* y = out + r * last;
    const float m = *std::max_element(x, x + last);
    float sum = 0;
    for (int64_t i = 0; i < last; ++i) sum += (y[i] = std::exp(x[i] - m));
    for (int64_t i = 0; i < last; ++i) y[i] /= sum;
  }
}

}  // namespace likeness::vision::inference
