// Scalar reference kernels: plain loops, sequential float summation. Also the fallback on CPUs
// without AVX2.
#include <vector>

#include "simd/half.h"
#include "simd/kernels.h"

namespace likeness::simd {
namespace {

float Dot(const float* a, const float* b, int64_t dim) {
  float sum = 0;
  for (int64_t i = 0; i < dim; ++i) sum += a[i] * b[i];
  return sum;
}

void DotF32(const float* queries, int64_t nq, const float* rows, int64_t n, int64_t dim,
            float* scores, int64_t score_stride) {
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t q = 0; q < nq; ++q) {
      scores[q * score_stride + r] = Dot(queries + q * dim, rows + r * dim, dim);
    }
  }
}

void F16ToF32(const uint16_t* in, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = HalfToFloat(in[i]);
}

void F32ToF16(const float* in, int64_t n, uint16_t* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = FloatToHalf(in[i]);
}

void DotF16(const float* queries, int64_t nq, const uint16_t* rows, int64_t n, int64_t dim,
            float* scores, int64_t score_stride) {
  std::vector<float> row(static_cast<size_t>(dim));
  for (int64_t r = 0; r < n; ++r) {
    F16ToF32(rows + r * dim, dim, row.data());
    for (int64_t q = 0; q < nq; ++q) {
      scores[q * score_stride + r] = Dot(queries + q * dim, row.data(), dim);
    }
  }
}

void DotI8(const int16_t* queries, const float* query_scales, int64_t nq, const int8_t* rows,
           const float* row_scales, int64_t n, int64_t dim, float* scores, int64_t score_stride) {
  for (int64_t r = 0; r < n; ++r) {
    const int8_t* row = rows + r * dim;
    for (int64_t q = 0; q < nq; ++q) {
      const int16_t* query = queries + q * dim;
      int32_t acc = 0;
      for (int64_t i = 0; i < dim; ++i) acc += int32_t{query[i]} * int32_t{row[i]};
      scores[q * score_stride + r] = static_cast<float>(acc) * row_scales[r] * query_scales[q];
    }
  }
}

}  // namespace

namespace internal {
const Kernels kScalarKernels{
    .level = SimdLevel::kScalar,
    .dot_f32 = DotF32,
    .dot_f16 = DotF16,
    .dot_i8 = DotI8,
    .f32_to_f16 = F32ToF16,
    .f16_to_f32 = F16ToF32,
};
}  // namespace internal

}  // namespace likeness::simd
