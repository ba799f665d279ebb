// Dot-product kernels for exact search: one fp32 query block against a block of stored rows held as
// fp32, fp16 (IEEE binary16) or int8, in a scalar, an AVX2 (+FMA, F16C) and an AVX-512 (F/BW/VL/DQ)
// variant.
//
// Dispatch. Each variant lives in its own .cc file whose functions carry
// __attribute__((target(...))), so the library is built for the baseline x86-64 ISA and nothing AVX
// runs unless the CPU has it. A variant is picked once per process by DefaultKernels(): the best
// level the CPU supports (checked with
// __builtin_cpu_supports), or the level named by the environment variable LIKENESS_SIMD
// (scalar|avx2|avx512) for testing, clamped to what the CPU supports. Code that wants a specific
// variant (tests, benchmarks) asks KernelsFor(level).
//
// Results. Every variant computes the same mathematical quantity; float kernels differ from the
// scalar one only by summation order (well under 1e-5 relative to sum |q_i * r_i|). The int8
// kernels accumulate exactly in int32, so every variant returns bit-identical scores.
//
// Thread safety: the tables are immutable; every kernel is reentrant.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace likeness::simd {

enum class SimdLevel { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };

std::string_view SimdLevelName(SimdLevel level);
// "scalar", "avx2", "avx512" (case-sensitive); nullopt otherwise.
std::optional<SimdLevel> ParseSimdLevel(std::string_view name);
// Whether this CPU (and OS) can run `level`.
bool CpuSupports(SimdLevel level);
SimdLevel BestSupportedLevel();

// All kernels: `queries` holds nq rows of dim values, `rows` holds n rows of dim values (both
// contiguous, no alignment required), and the result for query q and row r goes to scores[q *
// score_stride + r]. REQUIRES: dim >= 1; score_stride >= n; no aliasing between inputs and outputs.
struct Kernels {
  SimdLevel level = SimdLevel::kScalar;

  void (*dot_f32)(const float* queries, int64_t nq, const float* rows, int64_t n, int64_t dim,
                  float* scores, int64_t score_stride) = nullptr;
  void (*dot_f16)(const float* queries, int64_t nq, const uint16_t* rows, int64_t n, int64_t dim,
                  float* scores, int64_t score_stride) = nullptr;
  // int8 rows against int16-quantised queries (see quantize.h):
  //   scores = float(sum_i q_i * r_i) * row_scales[r] * query_scales[q], the sum exact in int32.
  // REQUIRES: dim * 127 * max|q_i| < 2^31 (QuantizeQueryInt16 guarantees it).
  void (*dot_i8)(const int16_t* queries, const float* query_scales, int64_t nq, const int8_t* rows,
                 const float* row_scales, int64_t n, int64_t dim, float* scores,
                 int64_t score_stride) = nullptr;

  // Element-wise conversions, bit-exact with FloatToHalf / HalfToFloat in half.h.
  void (*f32_to_f16)(const float* in, int64_t n, uint16_t* out) = nullptr;
  void (*f16_to_f32)(const uint16_t* in, int64_t n, float* out) = nullptr;
};

// The table for `level`, or nullptr when the CPU cannot run it.
const Kernels* KernelsFor(SimdLevel level);
// The process-wide choice described above (computed on first use, then fixed).
const Kernels& DefaultKernels();

// The per-variant tables (defined in kernels_{scalar,avx2,avx512}.cc). Callers use KernelsFor.
namespace internal {
extern const Kernels kScalarKernels;
extern const Kernels kAvx2Kernels;
extern const Kernels kAvx512Kernels;
}  // namespace internal

}  // namespace likeness::simd
