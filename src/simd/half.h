// Portable IEEE 754 binary16 ("half") conversions, bit-exact with F16C / AVX-512 under
// round-to-nearest-even.
//
// Used by the scalar kernels, for dimension tails in the AVX2 kernels, and as the reference in
// tests. The vector kernels convert with vcvtps2ph / vcvtph2ps, which these functions reproduce
// exactly (including subnormals, +-0, +-inf and overflow to inf; a NaN becomes a quiet NaN keeping
// its top payload bits).
#pragma once

#include <bit>
#include <cstdint>

namespace likeness::simd {

// The largest finite half value; anything at or above 65520 in magnitude rounds to infinity.
inline constexpr float kHalfMax = 65504.0f;

// float -> half, round to nearest even (after F. Giesen's float_to_half_fast3_rtne).
inline uint16_t FloatToHalf(float value) {
  constexpr uint32_t kF32Infinity = 255u << 23;
  constexpr uint32_t kF16Overflow = (127u + 16u) << 23;  // 2^16: everything above is inf/NaN
  constexpr uint32_t kDenormMagic = ((127u - 15u) + (23u - 10u) + 1u) << 23;
  constexpr uint32_t kSmallestNormal = 113u << 23;  // 2^-14, the smallest normal half
  uint32_t bits = std::bit_cast<uint32_t>(value);
  const uint32_t sign = bits & 0x80000000u;
  bits ^= sign;
  uint32_t out;
  if (bits >= kF16Overflow) {
    // Inf stays inf; NaN keeps its top 9 payload bits and becomes quiet (what vcvtps2ph does).
    out = bits > kF32Infinity ? (0x7e00u | ((bits >> 13) & 0x3ffu)) : 0x7c00u;
  } else if (bits < kSmallestNormal) {
    // Subnormal or zero: let the FPU's round-to-nearest-even align the 10 mantissa bits at the
    // bottom.
    const float aligned = std::bit_cast<float>(bits) + std::bit_cast<float>(kDenormMagic);
    out = std::bit_cast<uint32_t>(aligned) - kDenormMagic;
  } else {
    const uint32_t mantissa_odd = (bits >> 13) & 1u;
    bits += ((15u - 127u) << 23) + 0xfffu;  // re-bias the exponent, rounding bias part 1
    bits += mantissa_odd;                   // rounding bias part 2 (ties to even)
    out = bits >> 13;
  }
  return static_cast<uint16_t>(out | (sign >> 16));
}

// half -> float; exact (every half is representable as a float; a signalling NaN becomes quiet).
inline float HalfToFloat(uint16_t half) {
  constexpr uint32_t kShiftedExponent = 0x7c00u << 13;
  constexpr uint32_t kMagic = 113u << 23;
  uint32_t bits = (static_cast<uint32_t>(half) & 0x7fffu) << 13;
  const uint32_t exponent = bits & kShiftedExponent;
  bits += (127u - 15u) << 23;
  if (exponent == kShiftedExponent) {
    bits += (128u - 16u) << 23;                     // inf / NaN
    if ((half & 0x3ffu) != 0) bits |= 0x00400000u;  // NaN comes out quiet, as vcvtph2ps makes it
  } else if (exponent == 0) {
    bits += 1u << 23;  // zero / subnormal: renormalise
    bits = std::bit_cast<uint32_t>(std::bit_cast<float>(bits) - std::bit_cast<float>(kMagic));
  }
  bits |= (static_cast<uint32_t>(half) & 0x8000u) << 16;
  return std::bit_cast<float>(bits);
}

}  // namespace likeness::simd
