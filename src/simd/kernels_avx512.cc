// AVX-512 kernels (F, BW, VL, DQ; plus FMA/F16C). Every function carries the target attribute
// below, so the file builds for the baseline ISA and its code runs only when dispatch (kernels.cc)
// picked this table.
//
// One query (memory-bound): rows are streamed strictly in order, one row at a time with four
// independent accumulators (hiding the FMA latency), and a software prefetch kPrefetchBytes ahead.
// Measured on Zen 4 this streams 1 GB of fp16 at ~39 GB/s of thread time, against ~25 GB/s for a
// 4-rows-interleaved tile that leaves the hardware prefetcher four concurrent streams to follow.
// Query batches (compute-bound, rows hot in L2): a register tile of 4 rows x 4 queries (16
// accumulators of the 32 zmm registers). Per 16 dimensions it loads 4 query vectors and 4 row
// vectors (converting fp16 / widening int8 once per row) and issues 16 FMAs. On Zen 4 this tile
// runs a 200-query fp16 batch at ~5 ms per query per 1M rows of thread time, against ~9.5 ms for a
// 2x4 tile. Dimension tails use masked loads. GCC 12's avx512fintrin.h builds "undefined" vectors
// by self-initialisation (`__m512 __Y = __Y;`), which -Wuninitialized flags after inlining (GCC bug
// 105593, fixed in 12.3/13). The warning is about the header, not this code, so it is silenced for
// this file only.
#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cstdint>

#include "simd/kernels.h"

#define LIKENESS_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")))

namespace likeness::simd {
namespace {

constexpr int kLanes = 16;     // floats per zmm
constexpr int kI8Lanes = 32;   // int8 / int16 elements per step of the int8 kernel
constexpr int kBatchRows = 4;  // rows per tile for query batches
constexpr int kBatchQueries = 4;
// How far ahead of the row being scored a single-query scan prefetches (about 8 fp16 rows of
// 512-d).
constexpr int64_t kPrefetchBytes = 8192;
constexpr int64_t kCacheLine = 64;

// Prefetches the cache lines of [p + kPrefetchBytes, p + kPrefetchBytes + bytes). The address is
// formed as an integer: it may lie past the end of the rows, which a prefetch tolerates (it never
// faults).
inline void PrefetchAhead(const void* p, int64_t bytes) {
  const uintptr_t start = reinterpret_cast<uintptr_t>(p) + kPrefetchBytes;
  for (int64_t b = 0; b < bytes; b += kCacheLine) {
    _mm_prefetch(reinterpret_cast<const char*>(start + static_cast<uintptr_t>(b)), _MM_HINT_T0);
  }
}

LIKENESS_AVX512 inline __m512 Load16(const float* p) { return _mm512_loadu_ps(p); }
LIKENESS_AVX512 inline __m512 Load16(const uint16_t* p) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}
LIKENESS_AVX512 inline __m512 MaskLoad16(const float* p, __mmask16 m) {
  return _mm512_maskz_loadu_ps(m, p);
}
LIKENESS_AVX512 inline __m512 MaskLoad16(const uint16_t* p, __mmask16 m) {
  return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p));
}

// out[j * stride + i] = <q_j, row_i> for i < RT, j < QT.
template <typename Elem, int RT, int QT>
LIKENESS_AVX512 inline void TileFloat(const float* q, const Elem* rows, int64_t dim, float* out,
                                      int64_t stride) {
  __m512 acc[RT][QT];
#pragma GCC unroll 8
  for (int i = 0; i < RT; ++i) {
#pragma GCC unroll 8
    for (int j = 0; j < QT; ++j) acc[i][j] = _mm512_setzero_ps();
  }
  int64_t d = 0;
  for (; d + kLanes <= dim; d += kLanes) {
    __m512 qv[QT];
#pragma GCC unroll 8
    for (int j = 0; j < QT; ++j) qv[j] = _mm512_loadu_ps(q + j * dim + d);
#pragma GCC unroll 8
    for (int i = 0; i < RT; ++i) {
      const __m512 rv = Load16(rows + i * dim + d);
#pragma GCC unroll 8
      for (int j = 0; j < QT; ++j) acc[i][j] = _mm512_fmadd_ps(rv, qv[j], acc[i][j]);
    }
  }
  if (d < dim) {
    const __mmask16 m = static_cast<__mmask16>((1u << (dim - d)) - 1u);
    __m512 qv[QT];
#pragma GCC unroll 8
    for (int j = 0; j < QT; ++j) qv[j] = _mm512_maskz_loadu_ps(m, q + j * dim + d);
#pragma GCC unroll 8
    for (int i = 0; i < RT; ++i) {
      const __m512 rv = MaskLoad16(rows + i * dim + d, m);
#pragma GCC unroll 8
      for (int j = 0; j < QT; ++j) acc[i][j] = _mm512_fmadd_ps(rv, qv[j], acc[i][j]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < RT; ++i) {
#pragma GCC unroll 8
    for (int j = 0; j < QT; ++j) out[j * stride + i] = _mm512_reduce_add_ps(acc[i][j]);
  }
}

// One query against n rows, row by row (see the file comment).
template <typename Elem>
LIKENESS_AVX512 void StreamFloat(const float* q, const Elem* rows, int64_t n, int64_t dim,
                                 float* out) {
  const int64_t row_bytes = dim * static_cast<int64_t>(sizeof(Elem));
  for (int64_t r = 0; r < n; ++r) {
    const Elem* row = rows + r * dim;
    PrefetchAhead(row, row_bytes);
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int64_t d = 0;
    for (; d + 4 * kLanes <= dim; d += 4 * kLanes) {
      a0 = _mm512_fmadd_ps(Load16(row + d), _mm512_loadu_ps(q + d), a0);
      a1 = _mm512_fmadd_ps(Load16(row + d + kLanes), _mm512_loadu_ps(q + d + kLanes), a1);
      a2 = _mm512_fmadd_ps(Load16(row + d + 2 * kLanes), _mm512_loadu_ps(q + d + 2 * kLanes), a2);
      a3 = _mm512_fmadd_ps(Load16(row + d + 3 * kLanes), _mm512_loadu_ps(q + d + 3 * kLanes), a3);
    }
    for (; d + kLanes <= dim; d += kLanes) {
      a0 = _mm512_fmadd_ps(Load16(row + d), _mm512_loadu_ps(q + d), a0);
    }
    if (d < dim) {
      const __mmask16 m = static_cast<__mmask16>((1u << (dim - d)) - 1u);
      a1 = _mm512_fmadd_ps(MaskLoad16(row + d, m), _mm512_maskz_loadu_ps(m, q + d), a1);
    }
    out[r] = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
  }
}

template <typename Elem, int RT, int QT>
LIKENESS_AVX512 void RowsFloat(const float* q, const Elem* rows, int64_t n, int64_t dim, float* out,
                               int64_t stride) {
  int64_t r = 0;
  for (; r + RT <= n; r += RT) TileFloat<Elem, RT, QT>(q, rows + r * dim, dim, out + r, stride);
  for (; r < n; ++r) TileFloat<Elem, 1, QT>(q, rows + r * dim, dim, out + r, stride);
}

template <typename Elem>
LIKENESS_AVX512 void DotFloat(const float* queries, int64_t nq, const Elem* rows, int64_t n,
                              int64_t dim, float* scores, int64_t stride) {
  int64_t q = 0;
  for (; q + kBatchQueries <= nq; q += kBatchQueries) {
    RowsFloat<Elem, kBatchRows, kBatchQueries>(queries + q * dim, rows, n, dim, scores + q * stride,
                                               stride);
  }
  for (; q < nq; ++q) StreamFloat<Elem>(queries + q * dim, rows, n, dim, scores + q * stride);
}

LIKENESS_AVX512 void DotF32(const float* queries, int64_t nq, const float* rows, int64_t n,
                            int64_t dim, float* scores, int64_t stride) {
  DotFloat<float>(queries, nq, rows, n, dim, scores, stride);
}

LIKENESS_AVX512 void DotF16(const float* queries, int64_t nq, const uint16_t* rows, int64_t n,
                            int64_t dim, float* scores, int64_t stride) {
  DotFloat<uint16_t>(queries, nq, rows, n, dim, scores, stride);
}

// int8: 32 elements per step; rows widened to int16, vpmaddwd against the int16 query, int32 sums.
template <int RT, int QT>
LIKENESS_AVX512 inline void TileI8(const int16_t* q, const float* q_scales, const int8_t* rows,
                                   const float* row_scales, int64_t dim, float* out,
                                   int64_t stride) {
  __m512i acc[RT][QT];
#pragma GCC unroll 8
  for (int i = 0; i < RT; ++i) {
#pragma GCC unroll 8
    for (int j = 0; j < QT; ++j) acc[i][j] = _mm512_setzero_si512();
  }
  int64_t d = 0;
  for (; d + kI8Lanes <= dim; d += kI8Lanes) {
    __m512i qv[QT];
#pragma GCC unroll 8
    for (int j = 0; j < QT; ++j) qv[j] = _mm512_loadu_si512(q + j * dim + d);
#pragma GCC unroll 8
    for (int i = 0; i < RT; ++i) {
      const __m512i rv = _mm512_cvtepi8_epi16(
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows + i * dim + d)));
#pragma GCC unroll 8
      for (int j = 0; j < QT; ++j) {
        acc[i][j] = _mm512_add_epi32(acc[i][j], _mm512_madd_epi16(rv, qv[j]));
      }
    }
  }
  if (d < dim) {
    const __mmask32 m = static_cast<__mmask32>((1u << (dim - d)) - 1u);
    __m512i qv[QT];
#pragma GCC unroll 8
    for (int j = 0; j < QT; ++j) qv[j] = _mm512_maskz_loadu_epi16(m, q + j * dim + d);
#pragma GCC unroll 8
    for (int i = 0; i < RT; ++i) {
      const __m512i rv = _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(m, rows + i * dim + d));
#pragma GCC unroll 8
      for (int j = 0; j < QT; ++j) {
        acc[i][j] = _mm512_add_epi32(acc[i][j], _mm512_madd_epi16(rv, qv[j]));
      }
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < RT; ++i) {
#pragma GCC unroll 8
    for (int j = 0; j < QT; ++j) {
      // Same operation order as the scalar kernel, so the float result is bit-identical.
      out[j * stride + i] =
          static_cast<float>(_mm512_reduce_add_epi32(acc[i][j])) * row_scales[i] * q_scales[j];
    }
  }
}

LIKENESS_AVX512 inline __m512i Widen32(const int8_t* p) {
  return _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}
LIKENESS_AVX512 inline __m512i LoadI16(const int16_t* p) { return _mm512_loadu_si512(p); }
LIKENESS_AVX512 inline __m512i MulAdd(__m512i acc, __m512i a, __m512i b) {
  return _mm512_add_epi32(acc, _mm512_madd_epi16(a, b));
}

// One int8 query against n rows, row by row (see the file comment).
LIKENESS_AVX512 void StreamI8(const int16_t* q, float q_scale, const int8_t* rows,
                              const float* row_scales, int64_t n, int64_t dim, float* out) {
  for (int64_t r = 0; r < n; ++r) {
    const int8_t* row = rows + r * dim;
    PrefetchAhead(row, dim);
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
    int64_t d = 0;
    for (; d + 4 * kI8Lanes <= dim; d += 4 * kI8Lanes) {
      a0 = MulAdd(a0, Widen32(row + d), LoadI16(q + d));
      a1 = MulAdd(a1, Widen32(row + d + kI8Lanes), LoadI16(q + d + kI8Lanes));
      a2 = MulAdd(a2, Widen32(row + d + 2 * kI8Lanes), LoadI16(q + d + 2 * kI8Lanes));
      a3 = MulAdd(a3, Widen32(row + d + 3 * kI8Lanes), LoadI16(q + d + 3 * kI8Lanes));
    }
    for (; d + kI8Lanes <= dim; d += kI8Lanes) a0 = MulAdd(a0, Widen32(row + d), LoadI16(q + d));
    if (d < dim) {
      const __mmask32 m = static_cast<__mmask32>((1u << (dim - d)) - 1u);
      a1 = MulAdd(a1, _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(m, row + d)),
                  _mm512_maskz_loadu_epi16(m, q + d));
    }
    const int32_t sum = _mm512_reduce_add_epi32(
        _mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_add_epi32(a2, a3)));
    // Same operation order as the scalar kernel, so the float result is bit-identical.
    out[r] = static_cast<float>(sum) * row_scales[r] * q_scale;
  }
}

template <int RT, int QT>
LIKENESS_AVX512 void RowsI8(const int16_t* q, const float* q_scales, const int8_t* rows,
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

LIKENESS_AVX512 void DotI8(const int16_t* queries, const float* query_scales, int64_t nq,
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

LIKENESS_AVX512 void F32ToF16(const float* in, int64_t n, uint16_t* out) {
  constexpr int kRound = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i),
                        _mm512_cvtps_ph(_mm512_loadu_ps(in + i), kRound));
  }
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1u);
    _mm256_mask_storeu_epi16(out + i, m, _mm512_cvtps_ph(_mm512_maskz_loadu_ps(m, in + i), kRound));
  }
}

LIKENESS_AVX512 void F16ToF32(const uint16_t* in, int64_t n, float* out) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) _mm512_storeu_ps(out + i, Load16(in + i));
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1u);
    _mm512_mask_storeu_ps(out + i, m, MaskLoad16(in + i, m));
  }
}

}  // namespace

namespace internal {
const Kernels kAvx512Kernels{
    .level = SimdLevel::kAvx512,
    .dot_f32 = DotF32,
    .dot_f16 = DotF16,
    .dot_i8 = DotI8,
    .f32_to_f16 = F32ToF16,
    .f16_to_f32 = F16ToF32,
};
}  // namespace internal

}  // namespace likeness::simd
