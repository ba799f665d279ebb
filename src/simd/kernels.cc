#include "simd/kernels.h"

#include <cpuid.h>

#include <algorithm>
#include <cstdlib>

namespace likeness::simd {

std::string_view SimdLevelName(SimdLevel level) {
  switch (level) {
    case SimdLevel::kScalar:
      return "scalar";
    case SimdLevel::kAvx2:
      return "avx2";
    case SimdLevel::kAvx512:
      return "avx512";
  }
  return "unknown";
}

std::optional<SimdLevel> ParseSimdLevel(std::string_view name) {
  if (name == "scalar") return SimdLevel::kScalar;
  if (name == "avx2") return SimdLevel::kAvx2;
  if (name == "avx512") return SimdLevel::kAvx512;
  return std::nullopt;
}

// F16C from CPUID leaf 1 (Clang's __builtin_cpu_supports does not know "f16c").
bool CpuHasF16c() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & bit_F16C) != 0;
}

bool CpuSupports(SimdLevel level) {
  switch (level) {
    case SimdLevel::kScalar:
      return true;
    case SimdLevel::kAvx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && CpuHasF16c();
    case SimdLevel::kAvx512:
      // The AVX-512 kernels also use F16C/FMA forms at 256 bits, so they require AVX2 support too.
      return CpuSupports(SimdLevel::kAvx2) && __builtin_cpu_supports("avx512f") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512dq");
  }
  return false;
}

SimdLevel BestSupportedLevel() {
  if (CpuSupports(SimdLevel::kAvx512)) return SimdLevel::kAvx512;
  if (CpuSupports(SimdLevel::kAvx2)) return SimdLevel::kAvx2;
  return SimdLevel::kScalar;
}

const Kernels* KernelsFor(SimdLevel level) {
  if (!CpuSupports(level)) return nullptr;
  switch (level) {
    case SimdLevel::kScalar:
      return &internal::kScalarKernels;
    case SimdLevel::kAvx2:
      return &internal::kAvx2Kernels;
    case SimdLevel::kAvx512:
      return &internal::kAvx512Kernels;
  }
  return nullptr;
}

namespace {

SimdLevel ChooseLevel() {
  SimdLevel level = BestSupportedLevel();
  if (const char* env = std::getenv("LIKENESS_SIMD"); env != nullptr) {
    // An unknown value is ignored; a level the CPU lacks is clamped down to the best it has.
    if (const std::optional<SimdLevel> wanted = ParseSimdLevel(env); wanted.has_value()) {
      level = std::min(level, *wanted);
    }
  }
  return level;
}

}  // namespace

const Kernels& DefaultKernels() {
  // Dispatch is decided once; the table itself is immutable.
  static const Kernels* const kChosen = KernelsFor(ChooseLevel());
  return *kChosen;
}

}  // namespace likeness::simd
