// AVX2 kernels (+FMA, F16C). Every function carries the target attribute below, so the file builds
// for the baseline ISA and its code runs only when dispatch (kernels.cc) picked this table. Same
// structure as the AVX-512 file (see there: rows streamed in order with a prefetch for one query,
// 2x4 register tiles for batches) at 8 floats / 16 int16 per step; dimension tails are finished in
// scalar code.
#include <immintrin.h>

#include <cstdint>

#include "simd/half.h"
#include "simd/kernels.h"

#define LIKENESS_AVX2 __attribute__((target("avx2,fma,f16c")))

namespace likeness::simd {
namespace {

constexpr int kLanes = 8;      // floats per ymm
constexpr int kI8Lanes = 16;   // int8 / int16 elements per step of the int8 kernel
constexpr int kBatchRows = 2;  // rows per tile for query batches
constexpr int kBatchQueries = 4;
constexpr int64_t kPrefetchBytes = 8192;  // see kernels_avx512.cc
constexpr int64_t kCacheLine = 64;

inline void PrefetchAhead(const void* p, int64_t bytes) {
  const uintptr_t start = reinterpret_cast<uintptr_t>(p) + kPrefetchBytes;
  for (int64_t b = 0; b < bytes; b += kCacheLine) {
    _mm_prefetch(reinterpret_cast<const char*>(start + static_cast<uintptr_t>(b)), _MM_HINT_T0);
  }
}

LIKENESS_AVX2 inline __m256 Load8(const float* p) { return _mm256_loadu_ps(p); }
LIKENESS_AVX2 inline __m256 Load8(const uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
inline float ToFloat(float v) { return v; }
inline float ToFloat(uint16_t v) { return HalfToFloat(v); }

LIKENESS_AVX2 inline float HorizontalSum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

LIKENESS_AVX2 inline int32_t HorizontalSum(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return _mm_cvtsi128_si32(s);
}

template <typename Elem, int RT, int QT>
LIKENESS_AVX2 inline void TileFloat(const float* q, const Elem* rows, int64_t dim, float* out,
                                    int64_t stride) {
  __m256 acc[RT][QT];
#pragma GCC unroll 8
  for (int i = 0; i < RT; ++i) {
#pragma GCC unroll 8
    for (int j = 0; j < QT; ++j) acc[i][j] = _mm256_setzero_ps();
  }
  int64_t d = 0;
  for (; d + kLanes <= dim; d += kLanes) {
    __m256 qv[QT];
#pragma GCC unroll 8
    for (int j = 0; j < QT; ++j) qv[j] = _mm256_loadu_ps(q + j * dim + d);
#pragma GCC unroll 8
    for (int i = 0; i < RT; ++i) {
      const __m256 rv = Load8(rows + i * dim + d);
#pragma GCC unroll 8
      for (int j = 0; j < QT; ++j) acc[i][j] = _mm256_fmadd_ps(rv, qv[j], acc[i][j]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < RT; ++i) {
#pragma GCC unroll 8
    for (int j = 0; j < QT; ++j) {
      float sum = HorizontalSum(acc[i][j]);
      for (int64_t t = d; t < dim; ++t) sum += q[j * dim + t] * ToFloat(rows[i * dim + t]);
      out[j * stride + i] = sum;
    }
  }
}

template <typename Elem>
LIKENESS_AVX2 void StreamFloat(const float* q, const Elem* rows, int64_t n, int64_t dim,
                               float* out) {
  const int64_t row_bytes = dim * static_cast<int64_t>(sizeof(Elem));
  for (int64_t r = 0; r < n; ++r) {
    const Elem* row = rows + r * dim;
    PrefetchAhead(row, row_bytes);
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int64_t d = 0;
    for (; d + 4 * kLanes <= dim; d += 4 * kLanes) {
      a0 = _mm256_fmadd_ps(Load8(row + d), _mm256_loadu_ps(q + d), a0);
      a1 = _mm256_fmadd_ps(Load8(row + d + kLanes), _mm256_loadu_ps(q + d + kLanes), a1);
      a2 = _mm256_fmadd_ps(Load8(row + d + 2 * kLanes), _mm256_loadu_ps(q + d + 2 * kLanes), a2);
      a3 = _mm256_fmadd_ps(Load8(row + d + 3 * kLanes), _mm256_loadu_ps(q + d + 3 * kLanes), a3);
    }
    for (; d + kLanes <= dim; d += kLanes)
      a0 = _mm256_fmadd_ps(Load8(row + d), _mm256_loadu_ps(q + d), a0);
    float sum = HorizontalSum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    for (; d < dim; ++d) sum += q[d] * ToFloat(row[d]);
    out[r] = sum;
  }
}

template <typename Elem, int RT, int QT>
LIKENESS_AVX2 void RowsFloat(const float* q, const Elem* rows, int64_t n, int64_t dim, float* out,
                             int64_t stride) {
  int64_t r = 0;
  for (; r + RT <= n; r += RT) TileFloat<Elem, RT, QT>(q, rows + r * dim, dim, out + r, stride);
  for (; r < n; ++r) TileFloat<Elem, 1, QT>(q, rows + r * dim, dim, out + r, stride);
}

template <typename Elem>
LIKENESS_AVX2 void DotFloat(const float* queries, int64_t nq, const Elem* rows, int64_t n,
                            int64_t dim, float* scores, int64_t stride) {
  int64_t q = 0;
  for (; q + kBatchQueries <= nq; q += kBatchQueries) {
    RowsFloat<Elem, kBatchRows, kBatchQueries>(queries + q * dim, rows, n, dim, scores + q * stride,
                                               stride);
  }
  for (; q < nq; ++q) StreamFloat<Elem>(queries + q * dim, rows, n, dim, scores + q * stride);
}

LIKENESS_AVX2 void DotF32(const float* queries, int64_t nq, const float* rows, int64_t n,
                          int64_t dim, float* scores, int64_t stride) {
  DotFloat<float>(queries, nq, rows, n, dim, scores, stride);
}

LIKENESS_AVX2 void DotF16(const float* queries, int64_t nq, const uint16_t* rows, int64_t n,
                          int64_t dim, float* scores, int64_t stride) {
  DotFloat<uint16_t>(queries, nq, rows, n, dim, scores, stride);
}

template <int RT, int QT>
LIKENESS_AVX2 inline void TileI8(const int16_t* q, const float* q_scales, const int8_t* rows,
                                 const float* row_scales, int64_t dim, float* out, int64_t stride) {
  __m256i acc[RT][QT];
#pragma GCC unroll 8
  for (int i = 0; i < RT; ++i) {
#pragma GCC unroll 8
    for (int j = 0; j < QT; ++j) acc[i][j] = _mm256_setzero_si256();
  }
  int64_t d = 0;
  for (; d + kI8Lanes <= dim; d += kI8Lanes) {
    __m256i qv[QT];
#pragma GCC unroll 8
    for (int j = 0; j < QT; ++j) {
      qv[j] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + j * dim + d));
    }
#pragma GCC unroll 8
    for (int i = 0; i < RT; ++i) {
      const __m256i rv = _mm256_cvtepi8_epi16(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows + i * dim + d)));
#pragma GCC unroll 8
      for (int j = 0; j < QT; ++j) {
        acc[i][j] = _mm256_add_epi32(acc[i][j], _mm256_madd_epi16(rv, qv[j]));
      }
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < RT; ++i) {
#pragma GCC unroll 8
    for (int j = 0; j < QT; ++j) {
      int32_t sum = HorizontalSum(acc[i][j]);
      for (int64_t t = d; t < dim; ++t) sum += int32_t{q[j * dim + t]} * int32_t{rows[i * dim + t]};
      // Same operation order as the scalar kernel, so the float result is bit-identical.
      out[j * stride + i] = static_cast<float>(sum) * row_scales[i] * q_scales[j];
    }
  }
}

LIKENESS_AVX2 inline __m256i Widen16(const int8_t* p) {
  return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
LIKENESS_AVX2 inline __m256i LoadI16(const int16_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}
LIKENESS_AVX2 inline __m256i MulAdd(__m256i acc, __m256i a, __m256i b) {
  return _mm256_add_epi32(acc, _mm256_madd_epi16(a, b));
}

LIKENESS_AVX2 void StreamI8(const int16_t* q, float q_scale, const int8_t* rows,
                            const float* row_scales, int64_t n, int64_t dim, float* out) {
  for (int64_t r = 0; r < n; ++r) {
    const int8_t* row = rows + r * dim;
    PrefetchAhead(row, dim);
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    int64_t d = 0;
    for (; d + 4 * kI8Lanes <= dim; d += 4 * kI8Lanes) {
      a0 = MulAdd(a0, Widen16(row + d), LoadI16(q + d));
      a1 = MulAdd(a1, Widen16(row + d + kI8Lanes), LoadI16(q + d + kI8Lanes));
      a2 = MulAdd(a2, Widen16(row + d + 2 * kI8Lanes), LoadI16(q + d + 2 * kI8Lanes));
      a3 = MulAdd(a3, Widen16(row + d + 3 * kI8Lanes), LoadI16(q + d + 3 * kI8Lanes));
    }
    for (; d + kI8Lanes <= dim; d += kI8Lanes) a0 = MulAdd(a0, Widen16(row + d), LoadI16(q + d));
    int32_t sum =
        HorizontalSum(_mm256_add_epi32(_mm256_add_epi32(a0, a1), _mm256_add_epi32(a2, a3)));
    for (; d < dim; ++d) sum += int32_t{q[d]} * int32_t{row[d]};
    // Same operation order as the scalar kernel, so the float result is bit-identical.
    out[r] = static_cast<float>(sum) * row_scales[r] * q_scale;
  }
}

template <int RT, int QT>
LIKENESS_AVX2 void RowsI8(const int16_t* q, const float* q_scales, const int8_t* rows,
                          const float* row_scales, int64_t n, int64_t dim, float* out,
                          int64_t stride) {
  int64_t r = 0;
  for (; r + RT <= n; r += RT) {
    TileI8<RT, QT>(q, q_scales, rows + r * dim, row_scales + r, dim, out + r, stride);
  }
  for (; r < n; ++r) {
    TileI8<1, QT>(q, q_scales, rows + r * dim, row_scales + r, dim, out + r, stride);
  }
}

LIKENESS_AVX2 void DotI8(const int16_t* queries, const float* query_scales, int64_t nq,
                         const int8_t* rows, const float* row_scales, int64_t n, int64_t dim,
                         float* scores, int64_t stride) {
  int64_t q = 0;
  for (; q + kBatchQueries <= nq; q += kBatchQueries) {
    RowsI8<kBatchRows, kBatchQueries>(queries + q * dim, query_scales + q, rows, row_scales, n, dim,
                                      scores + q * stride, stride);
  }
  for (; q < nq; ++q) {
    StreamI8(queries + q * dim, query_scales[q], rows, row_scales, n, dim, scores + q * stride);
  }
}

LIKENESS_AVX2 void F32ToF16(const float* in, int64_t n, uint16_t* out) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(in + i), _MM_FROUND_TO_NEAREST_INT));
  }
  for (; i < n; ++i) out[i] = FloatToHalf(in[i]);
}

LIKENESS_AVX2 void F16ToF32(const uint16_t* in, int64_t n, float* out) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) _mm256_storeu_ps(out + i, Load8(in + i));
  for (; i < n; ++i) out[i] = HalfToFloat(in[i]);
}

}  // namespace

namespace internal {
const Kernels kAvx2Kernels{
    .level = SimdLevel::kAvx2,
    .dot_f32 = DotF32,
    .dot_f16 = DotF16,
    .dot_i8 = DotI8,
    .f32_to_f16 = F32ToF16,
    .f16_to_f32 = F16ToF32,
};
}  // namespace internal

}  // namespace likeness::simd
