#include "simd/quantize.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace likeness::simd {
namespace {

float MaxAbs(const float* x, int64_t dim) {
  float m = 0;
  for (int64_t i = 0; i < dim; ++i) m = std::max(m, std::fabs(x[i]));
  return m;
}

}  // namespace

float QuantizeRowInt8(const float* x, int64_t dim, int8_t* out) {
  const float max_abs = MaxAbs(x, dim);
  if (max_abs == 0) {
    std::fill(out, out + dim, int8_t{0});
    return 0;
  }
  const float inv = static_cast<float>(kInt8Max) / max_abs;
  for (int64_t i = 0; i < dim; ++i) {
    const float v = std::clamp(std::nearbyint(x[i] * inv), -static_cast<float>(kInt8Max),
                               static_cast<float>(kInt8Max));
    out[i] = static_cast<int8_t>(v);
  }
  return max_abs / static_cast<float>(kInt8Max);
}

void DequantizeRowInt8(const int8_t* r, float scale, int64_t dim, float* out) {
  for (int64_t i = 0; i < dim; ++i) out[i] = static_cast<float>(r[i]) * scale;
}

int32_t QueryInt16Max(int64_t dim) {
  const int64_t bound = std::numeric_limits<int32_t>::max() / (int64_t{kInt8Max} * dim);
  return static_cast<int32_t>(std::min<int64_t>(std::numeric_limits<int16_t>::max(), bound));
}

float QuantizeQueryInt16(const float* x, int64_t dim, int16_t* out) {
  const float max_abs = MaxAbs(x, dim);
  if (max_abs == 0) {
    std::fill(out, out + dim, int16_t{0});
    return 0;
  }
  const float q_max = static_cast<float>(QueryInt16Max(dim));
  const float inv = q_max / max_abs;
  for (int64_t i = 0; i < dim; ++i) {
    out[i] = static_cast<int16_t>(std::clamp(std::nearbyint(x[i] * inv), -q_max, q_max));
  }
  return max_abs / q_max;
}

}  // namespace likeness::simd
