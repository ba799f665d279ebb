// Kernel-level tests: every SIMD variant against the scalar reference, fp16 conversion against
// F16C, quantisation bounds, top-k selection and the id map.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "simd/half.h"
#include "simd/id_map.h"
#include "simd/kernels.h"
#include "simd/quantize.h"
#include "simd/top_k.h"

namespace likeness::simd {
namespace {

std::vector<SimdLevel> AvailableLevels() {
  std::vector<SimdLevel> levels;
  for (SimdLevel l : {SimdLevel::kScalar, SimdLevel::kAvx2, SimdLevel::kAvx512}) {
    if (CpuSupports(l)) levels.push_back(l);
  }
  return levels;
}

std::vector<float> RandomFloats(size_t n, std::mt19937_64& rng, float scale = 1.0f) {
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

TEST(SimdLevelTest, NamesParseAndScalarAlwaysRuns) {
  for (SimdLevel l : {SimdLevel::kScalar, SimdLevel::kAvx2, SimdLevel::kAvx512}) {
    EXPECT_EQ(ParseSimdLevel(SimdLevelName(l)), l);
  }
  EXPECT_FALSE(ParseSimdLevel("sse9").has_value());
  EXPECT_TRUE(CpuSupports(SimdLevel::kScalar));
  ASSERT_NE(KernelsFor(SimdLevel::kScalar), nullptr);
  EXPECT_EQ(KernelsFor(BestSupportedLevel())->level, BestSupportedLevel());
  EXPECT_LE(DefaultKernels().level, BestSupportedLevel());
}

// LIKENESS_SIMD picks the dispatched variant. The choice is made once per process, so each case
// runs in a freshly executed child ("threadsafe" death-test style re-runs the binary for just this
// statement).
TEST(SimdLevelDeathTest, EnvironmentVariableSelectsTheDispatchedVariant) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  for (SimdLevel wanted : AvailableLevels()) {
    EXPECT_EXIT(
        {
          setenv("LIKENESS_SIMD", std::string(SimdLevelName(wanted)).c_str(), /*overwrite=*/1);
          std::exit(DefaultKernels().level == wanted ? 0 : 1);
        },
        ::testing::ExitedWithCode(0), "")
        << SimdLevelName(wanted);
  }
}

TEST(HalfTest, SoftwareConversionMatchesEveryVariantOnAllHalves) {
  std::vector<uint16_t> all(1 << 16);
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint16_t>(i);
  for (SimdLevel level : AvailableLevels()) {
    SCOPED_TRACE(SimdLevelName(level));
    std::vector<float> out(all.size());
    KernelsFor(level)->f16_to_f32(all.data(), static_cast<int64_t>(all.size()), out.data());
    for (size_t i = 0; i < all.size(); ++i) {
      ASSERT_EQ(std::bit_cast<uint32_t>(out[i]), std::bit_cast<uint32_t>(HalfToFloat(all[i])))
          << "half 0x" << std::hex << i;
    }
  }
}

TEST(HalfTest, SoftwareRoundingMatchesEveryVariant) {
  std::mt19937_64 rng(7);
  std::vector<float> values = {0.0f,     -0.0f,     1.0f,       65504.0f, 65519.99f, 65520.0f,
                               1e9f,     -1e9f,     6.1035e-5f, 5.96e-8f, 2.98e-8f,  1e-10f,
                               0.33333f, 1.000488f, 1.0009766f, 2049.0f,  2051.0f,   -3.5e-6f,
                               INFINITY, -INFINITY, NAN,        65536.0f};
  // Random bit patterns over the whole finite float range, plus many near the fp16 range.
  std::uniform_int_distribution<uint32_t> bits;
  for (int i = 0; i < 20000; ++i) {
    const float f = std::bit_cast<float>(bits(rng));
    if (std::isfinite(f)) values.push_back(f);
  }
  std::uniform_real_distribution<float> near(-70000.0f, 70000.0f);
  std::uniform_real_distribution<float> tiny(-1e-4f, 1e-4f);
  for (int i = 0; i < 20000; ++i) {
    values.push_back(near(rng));
    values.push_back(tiny(rng));
  }
  for (SimdLevel level : AvailableLevels()) {
    SCOPED_TRACE(SimdLevelName(level));
    std::vector<uint16_t> out(values.size());
    KernelsFor(level)->f32_to_f16(values.data(), static_cast<int64_t>(values.size()), out.data());
    for (size_t i = 0; i < values.size(); ++i) {
      ASSERT_EQ(out[i], FloatToHalf(values[i])) << "value " << values[i];
    }
  }
  // Round-to-nearest-even at the 2048..4096 step of 2: 2049 -> 2048 (even), 2051 -> 2052.
  EXPECT_EQ(HalfToFloat(FloatToHalf(2049.0f)), 2048.0f);
  EXPECT_EQ(HalfToFloat(FloatToHalf(2051.0f)), 2052.0f);
  EXPECT_EQ(HalfToFloat(FloatToHalf(65519.0f)), 65504.0f);
  EXPECT_TRUE(std::isinf(HalfToFloat(FloatToHalf(65520.0f))));
}

// Float kernels differ from the scalar reference only by summation order.
void ExpectClose(const std::vector<float>& got, const std::vector<float>& want,
                 const std::vector<float>& magnitude) {
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], 1e-5f * magnitude[i] + 1e-6f) << "at " << i;
  }
}

struct Shape {
  int64_t nq, n, dim;
};

std::vector<Shape> Shapes() {
  std::vector<Shape> shapes;
  for (int64_t dim : {1, 7, 8, 15, 16, 17, 31, 32, 33, 100, 128, 200, 512, 513}) {
    for (int64_t n : {1, 3, 37, 101}) {
      for (int64_t nq : {1, 2, 4, 5, 9}) shapes.push_back({nq, n, dim});
    }
  }
  return shapes;
}

TEST(KernelTest, FloatKernelsMatchScalarReference) {
  std::mt19937_64 rng(1);
  const Kernels& ref = *KernelsFor(SimdLevel::kScalar);
  for (const Shape& s : Shapes()) {
    SCOPED_TRACE(testing::Message() << "nq=" << s.nq << " n=" << s.n << " dim=" << s.dim);
    const std::vector<float> q = RandomFloats(static_cast<size_t>(s.nq * s.dim), rng);
    const std::vector<float> r = RandomFloats(static_cast<size_t>(s.n * s.dim), rng);
    std::vector<uint16_t> r16(r.size());
    ref.f32_to_f16(r.data(), static_cast<int64_t>(r.size()), r16.data());
    std::vector<float> r16f(r.size());
    ref.f16_to_f32(r16.data(), static_cast<int64_t>(r.size()), r16f.data());
    // Stride wider than n, with a sentinel in the gap that no kernel may overwrite.
    const int64_t stride = s.n + 3;
    const size_t out_size = static_cast<size_t>(s.nq * stride);
    std::vector<float> mag32(out_size, 0), mag16(out_size, 0);
    std::vector<float> want32(out_size, -7), want16(out_size, -7);
    ref.dot_f32(q.data(), s.nq, r.data(), s.n, s.dim, want32.data(), stride);
    ref.dot_f16(q.data(), s.nq, r16.data(), s.n, s.dim, want16.data(), stride);
    for (int64_t j = 0; j < s.nq; ++j) {
      for (int64_t i = 0; i < s.n; ++i) {
        double m32 = 0, m16 = 0, exact = 0;
        for (int64_t d = 0; d < s.dim; ++d) {
          const double qd = q[static_cast<size_t>(j * s.dim + d)];
          m32 += std::fabs(qd * r[static_cast<size_t>(i * s.dim + d)]);
          m16 += std::fabs(qd * r16f[static_cast<size_t>(i * s.dim + d)]);
          exact += qd * r[static_cast<size_t>(i * s.dim + d)];
        }
        mag32[static_cast<size_t>(j * stride + i)] = static_cast<float>(m32);
        mag16[static_cast<size_t>(j * stride + i)] = static_cast<float>(m16);
        // The scalar reference itself against double precision.
        ASSERT_NEAR(want32[static_cast<size_t>(j * stride + i)], exact, 1e-5 * m32 + 1e-6);
      }
    }
    for (SimdLevel level : AvailableLevels()) {
      SCOPED_TRACE(SimdLevelName(level));
      const Kernels& k = *KernelsFor(level);
      std::vector<float> got32(out_size, -7), got16(out_size, -7);
      k.dot_f32(q.data(), s.nq, r.data(), s.n, s.dim, got32.data(), stride);
      k.dot_f16(q.data(), s.nq, r16.data(), s.n, s.dim, got16.data(), stride);
      ExpectClose(got32, want32, mag32);
      ExpectClose(got16, want16, mag16);
    }
  }
}

TEST(KernelTest, Int8KernelsAreBitIdenticalToScalar) {
  std::mt19937_64 rng(2);
  const Kernels& ref = *KernelsFor(SimdLevel::kScalar);
  for (const Shape& s : Shapes()) {
    SCOPED_TRACE(testing::Message() << "nq=" << s.nq << " n=" << s.n << " dim=" << s.dim);
    const std::vector<float> q = RandomFloats(static_cast<size_t>(s.nq * s.dim), rng);
    const std::vector<float> r = RandomFloats(static_cast<size_t>(s.n * s.dim), rng);
    std::vector<int16_t> q16(q.size());
    std::vector<float> q_scales(static_cast<size_t>(s.nq));
    for (int64_t j = 0; j < s.nq; ++j) {
      q_scales[static_cast<size_t>(j)] =
          QuantizeQueryInt16(q.data() + j * s.dim, s.dim, q16.data() + j * s.dim);
    }
    std::vector<int8_t> r8(r.size());
    std::vector<float> r_scales(static_cast<size_t>(s.n));
    for (int64_t i = 0; i < s.n; ++i) {
      r_scales[static_cast<size_t>(i)] =
          QuantizeRowInt8(r.data() + i * s.dim, s.dim, r8.data() + i * s.dim);
    }
    const int64_t stride = s.n + 3;
    std::vector<float> want(static_cast<size_t>(s.nq * stride), -7);
    ref.dot_i8(q16.data(), q_scales.data(), s.nq, r8.data(), r_scales.data(), s.n, s.dim,
               want.data(), stride);
    for (SimdLevel level : AvailableLevels()) {
      SCOPED_TRACE(SimdLevelName(level));
      std::vector<float> got(want.size(), -7);
      KernelsFor(level)->dot_i8(q16.data(), q_scales.data(), s.nq, r8.data(), r_scales.data(), s.n,
                                s.dim, got.data(), stride);
      ASSERT_EQ(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)), 0);
    }
  }
}

TEST(KernelTest, Int8WorstCaseDoesNotOverflow) {
  // Every product at its maximum: the int32 sum must stay exact at the largest supported dim.
  for (int64_t dim : {int64_t{512}, int64_t{4096}, kInt8MaxDim}) {
    SCOPED_TRACE(dim);
    std::vector<float> ones(static_cast<size_t>(dim), 1.0f);
    std::vector<int16_t> q(ones.size());
    std::vector<int8_t> r(ones.size());
    const float qs = QuantizeQueryInt16(ones.data(), dim, q.data());
    const float rs = QuantizeRowInt8(ones.data(), dim, r.data());
    EXPECT_LE(int64_t{dim} * kInt8Max * QueryInt16Max(dim), int64_t{INT32_MAX});
    for (SimdLevel level : AvailableLevels()) {
      float score = 0;
      KernelsFor(level)->dot_i8(q.data(), &qs, 1, r.data(), &rs, 1, dim, &score, 1);
      EXPECT_NEAR(score, static_cast<float>(dim), 1e-4 * static_cast<double>(dim));
    }
  }
}

TEST(QuantizeTest, Int8RowErrorIsAtMostHalfAStep) {
  std::mt19937_64 rng(3);
  const std::vector<float> x = RandomFloats(777, rng, 0.05f);
  std::vector<int8_t> r(x.size());
  const float scale = QuantizeRowInt8(x.data(), static_cast<int64_t>(x.size()), r.data());
  std::vector<float> back(x.size());
  DequantizeRowInt8(r.data(), scale, static_cast<int64_t>(x.size()), back.data());
  float max_abs = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    max_abs = std::max(max_abs, std::fabs(x[i]));
    EXPECT_LE(std::fabs(back[i] - x[i]), scale * 0.5001f);
    EXPECT_GE(r[i], -kInt8Max);
  }
  EXPECT_FLOAT_EQ(scale * kInt8Max, max_abs);
  std::vector<float> zeros(9, 0.0f);
  EXPECT_EQ(QuantizeRowInt8(zeros.data(), 9, r.data()), 0.0f);
}

TEST(TopKTest, MatchesFullSortWithTiesByRow) {
  std::mt19937_64 rng(4);
  std::uniform_int_distribution<int> coarse(0, 50);  // many ties
  std::vector<float> scores(5000);
  for (float& s : scores) s = static_cast<float>(coarse(rng));
  for (int64_t k : {1, 10, 100, 5000, 9000}) {
    TopK blocks(k), single(k), merged(k);
    TopK half_a(k), half_b(k);
    for (int64_t b = 0; b < 5000; b += 333) {
      blocks.PushBlock(scores.data() + b, std::min<int64_t>(333, 5000 - b), b);
    }
    for (int64_t i = 4999; i >= 0; --i) single.Push(scores[static_cast<size_t>(i)], i);
    half_a.PushBlock(scores.data() + 2500, 2500, 2500);
    half_b.PushBlock(scores.data(), 2500, 0);
    merged.Merge(half_a);
    merged.Merge(half_b);

    std::vector<int64_t> order(5000);
    for (int64_t i = 0; i < 5000; ++i) order[static_cast<size_t>(i)] = i;
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return scores[static_cast<size_t>(a)] > scores[static_cast<size_t>(b)];
    });
    order.resize(static_cast<size_t>(std::min<int64_t>(k, 5000)));
    for (TopK* t : {&blocks, &single, &merged}) {
      std::vector<int64_t> got;
      for (const Candidate& c : t->Take()) got.push_back(c.row);
      EXPECT_EQ(got, order) << "k=" << k;
    }
  }
}

TEST(IdMapTest, AgreesWithUnorderedMapUnderRandomOperations) {
  std::mt19937_64 rng(5);
  std::uniform_int_distribution<int64_t> key(-3000, 3000);
  IdMap map;
  std::unordered_map<int64_t, int64_t> want;
  for (int step = 0; step < 200000; ++step) {
    const int64_t id = step % 7 == 0 ? key(rng) * 1000003 : key(rng);
    const int op = static_cast<int>(rng() % 3);
    if (op == 0 && !want.contains(id)) {
      map.Insert(id, step);
      want[id] = step;
    } else if (op == 1) {
      EXPECT_EQ(map.Erase(id), want.erase(id) == 1);
    } else if (want.contains(id)) {
      map.Update(id, step);
      want[id] = step;
    }
    if (step % 1000 == 0) {
      ASSERT_EQ(map.size(), static_cast<int64_t>(want.size()));
      for (int64_t probe = -3000; probe <= 3000; probe += 13) {
        const auto it = want.find(probe);
        ASSERT_EQ(map.Find(probe), it == want.end() ? std::nullopt : std::optional(it->second));
      }
    }
  }
  for (const auto& [id, row] : want) ASSERT_EQ(map.Find(id), row);
}

}  // namespace
}  // namespace likeness::simd
