// int8 storage quantisation and the int16 query form the int8 kernels consume.
//
// Rows: symmetric, per vector. scale = max_i |x_i| / 127, r_i = round(x_i / scale) in [-127, 127]
// (-128 is never used, so negation is exact), and x_i ~= r_i * scale. One float scale per row: a
// 512-d row costs 512 + 4 bytes. Per-vector (rather than one global) scale keeps full resolution
// for every row whatever its norm; for the L2-normalised embeddings we store the largest component
// is ~0.15-0.25, so the step is ~0.0015, and the ranking error it induces is far below the gap
// between identities.
//
// Queries: the fp32 query is quantised to int16 with its own scale (max |q_i| = QueryInt16Max(dim),
// at most 32767), which is ~8 bits finer than the rows, so it adds practically no error while
// letting the kernels use exact integer multiply-adds (vpmaddwd). The bound keeps every int32
// partial sum exact: dim * 127 * QueryInt16Max(dim) < 2^31.
#pragma once

#include <cstdint>

namespace likeness::simd {

// The int8 range actually used (symmetric).
inline constexpr int kInt8Max = 127;
// The largest dimension the int8 path accepts (QueryInt16Max stays >= 256 up to here).
inline constexpr int64_t kInt8MaxDim = 65536;

// Quantises one row of `dim` floats; returns its scale (0 for an all-zero row). REQUIRES: finite
// input.
float QuantizeRowInt8(const float* x, int64_t dim, int8_t* out);
// Reconstructs x_i ~= r_i * scale.
void DequantizeRowInt8(const int8_t* r, float scale, int64_t dim, float* out);

// The largest |q_i| used for a query of this dimension: min(32767, floor((2^31 - 1) / (127 *
// dim))).
int32_t QueryInt16Max(int64_t dim);
// Quantises one query; returns its scale (0 for an all-zero query). REQUIRES: finite input,
// 1 <= dim <= kInt8MaxDim.
float QuantizeQueryInt16(const float* x, int64_t dim, int16_t* out);

}  // namespace likeness::simd
