#include "vision/inference/plain_ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace likeness::vision::inference {
namespace {

float Apply(BinaryOp op, float a, float b) {
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
  if (na == n && nb == n) {
    for (int64_t i = 0; i < n; ++i) out[i] = Apply(op, a[i], b[i]);
    return;
  }
  if (na == n && nb == 1) {
    for (int64_t i = 0; i < n; ++i) out[i] = Apply(op, a[i], b[0]);
    return;
  }
  if (na == 1 && nb == n) {
    for (int64_t i = 0; i < n; ++i) out[i] = Apply(op, a[0], b[i]);
    return;
  }
  const size_t rank = out_dims.size();
  const auto sa = BroadcastStrides(a_dims, rank), sb = BroadcastStrides(b_dims, rank);
  std::vector<int64_t> idx(rank, 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t ia = 0, ib = 0;
    for (size_t k = 0; k < rank; ++k) ia += idx[k] * sa[k], ib += idx[k] * sb[k];
    out[i] = Apply(op, a[ia], b[ib]);
    for (size_t k = rank; k-- > 0;) {
      if (++idx[k] < out_dims[k]) break;
      idx[k] = 0;
    }
  }
}

void Unary(UnaryOp op, const float* in, float* out, int64_t n) {
  if (op == UnaryOp::kRelu) {
    for (int64_t i = 0; i < n; ++i) out[i] = std::max(in[i], 0.0f);
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = std::exp(in[i]);
  }
}

void PRelu(const float* in, const float* slope, float* out, int64_t n, int64_t channels,
           int64_t channel_stride) {
  for (int64_t i = 0; i < n; ++i) {
    const float s = slope[(i / channel_stride) % channels];
    out[i] = in[i] > 0 ? in[i] : in[i] * s;
  }
}

void ActivateNhwc(float* data, const float* slope, int64_t pixels, int64_t channels) {
  for (int64_t px = 0; px < pixels; ++px) {
    float* v = data + px * channels;
    if (slope) {
      for (int64_t c = 0; c < channels; ++c) v[c] = v[c] > 0 ? v[c] : v[c] * slope[c];
    } else {
      for (int64_t c = 0; c < channels; ++c) v[c] = v[c] > 0 ? v[c] : 0.0f;
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
