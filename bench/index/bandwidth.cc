#include "bandwidth.h"

#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <thread>
#include <vector>

#include "simd/kernels.h"

namespace likeness::bench {
namespace {

// The same software prefetch distance as the search kernels, so the floor is what the best-behaved
// streaming read achieves on this machine.
constexpr size_t kPrefetchBytes = 8192;

// Sums 64-bit lanes so the loads cannot be optimised away; 256 bytes per iteration, 4 chains.
__attribute__((target("avx2"))) uint64_t ReadAvx2(const uint8_t* p, size_t bytes) {
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i + 256 <= bytes; i += 256) {
    const uintptr_t ahead = reinterpret_cast<uintptr_t>(p + i) + kPrefetchBytes;
    for (uintptr_t line = 0; line < 256; line += 64) {
      _mm_prefetch(reinterpret_cast<const char*>(ahead + line), _MM_HINT_T0);
    }
    const auto* v = reinterpret_cast<const __m256i*>(p + i);
    a0 = _mm256_add_epi64(a0, _mm256_add_epi64(_mm256_load_si256(v + 0), _mm256_load_si256(v + 1)));
    a1 = _mm256_add_epi64(a1, _mm256_add_epi64(_mm256_load_si256(v + 2), _mm256_load_si256(v + 3)));
    a2 = _mm256_add_epi64(a2, _mm256_add_epi64(_mm256_load_si256(v + 4), _mm256_load_si256(v + 5)));
    a3 = _mm256_add_epi64(a3, _mm256_add_epi64(_mm256_load_si256(v + 6), _mm256_load_si256(v + 7)));
  }
  const __m256i s = _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3));
  alignas(32) uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), s);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}

// CPU time of the calling thread: the benchmark machine is shared, and time the scheduler gives to
// other processes must not count as slow memory.
double ThreadCpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

uint64_t ReadScalar(const uint8_t* p, size_t bytes) {
  uint64_t sum = 0;
  for (size_t i = 0; i + 8 <= bytes; i += 8) {
    uint64_t v;
    std::memcpy(&v, p + i, 8);
    sum += v;
  }
  return sum;
}

}  // namespace

double MeasureReadBandwidth(size_t bytes, int threads, int repeats) {
  constexpr size_t kAlign = size_t{2} << 20;
  bytes = bytes / kAlign * kAlign;
  auto* buf = static_cast<uint8_t*>(std::aligned_alloc(kAlign, bytes));
  if (buf == nullptr) return 0;
  for (size_t i = 0; i < bytes; ++i) buf[i] = static_cast<uint8_t>(i * 131);
  const bool avx2 = simd::CpuSupports(simd::SimdLevel::kAvx2);
  const size_t slice = bytes / static_cast<size_t>(threads) / 256 * 256;
  std::vector<uint64_t> sinks(static_cast<size_t>(threads) * 8);  // one cache line apart
  double best = 0;
  for (int r = 0; r < repeats; ++r) {
    std::vector<double> seconds(static_cast<size_t>(threads));
    std::vector<std::thread> pool;
    const auto wall_start = std::chrono::steady_clock::now();
    auto work = [&](int t) {
      const uint8_t* p = buf + static_cast<size_t>(t) * slice;
      const double start = ThreadCpuSeconds();
      sinks[static_cast<size_t>(t) * 8] += avx2 ? ReadAvx2(p, slice) : ReadScalar(p, slice);
      seconds[static_cast<size_t>(t)] = ThreadCpuSeconds() - start;
    };
    for (int t = 1; t < threads; ++t) pool.emplace_back(work, t);
    work(0);
    for (std::thread& th : pool) th.join();
    // One thread: its CPU time. Several: wall time, since their reads only compete for bandwidth
    // when they really run at the same moment (CPU time would credit them with bandwidth they never
    // shared).
    const double s =
        threads == 1
            ? seconds[0]
            : std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    best = std::max(best, static_cast<double>(slice) * threads / s);
  }
  volatile uint64_t keep = 0;
  for (uint64_t v : sinks) keep = keep + v;
  std::free(buf);
  return best;
}

}  // namespace likeness::bench
