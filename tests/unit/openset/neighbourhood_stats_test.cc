#include "openset/neighbourhood_stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <random>

#include "testing/test_env.h"

namespace likeness::openset {
namespace {

constexpr int kDim = 8;

std::vector<float> RandomUnit(std::mt19937& rng) {
  std::normal_distribution<float> d;
  std::vector<float> v(kDim);
  double n = 0;
  for (auto& x : v) x = d(rng), n += x * x;
  for (auto& x : v) x = static_cast<float>(x / std::sqrt(n));
  return v;
}

// Reference: mean of the k best cosines against every other face, from scratch.
float BruteMean(const std::map<int64_t, std::vector<float>>& faces, int64_t id, int k) {
  std::vector<float> c;
  for (const auto& [other, e] : faces) {
    if (other == id) continue;
    double s = 0;
    for (int i = 0; i < kDim; ++i) s += faces.at(id)[i] * e[i];
    c.push_back(static_cast<float>(s));
  }
  return MeanOfTopK(c, k);
}

TEST(MeanOfTopK, TakesTheLargest) {
  const std::vector<float> v{0.1f, 0.9f, 0.5f, 0.7f};
  EXPECT_FLOAT_EQ(MeanOfTopK(v, 2), 0.8f);
  EXPECT_FLOAT_EQ(MeanOfTopK(v, 10), 0.55f);
  EXPECT_EQ(MeanOfTopK({}, 5), 0.0f);
}

TEST(HubnessScore, IsTwiceCosineMinusBothMeans) {
  EXPECT_FLOAT_EQ(HubnessScore(0.6f, 0.3f, 0.2f), 0.7f);
}

TEST(NeighbourhoodStats, IncrementalMatchesBruteForceThroughAddsAndRemoves) {
  std::mt19937 rng(7);
  NeighbourhoodStats stats(kDim, 3);
  std::map<int64_t, std::vector<float>> faces;
  for (int64_t id = 0; id < 40; ++id) {
    faces[id] = RandomUnit(rng);
    ASSERT_TRUE(stats.Add(id, faces[id]).ok());
  }
  for (int64_t id : {3, 17, 0, 39, 22, 5}) {
    ASSERT_TRUE(stats.Remove(id).ok());
    faces.erase(id);
  }
  for (int64_t id = 40; id < 45; ++id) {
    faces[id] = RandomUnit(rng);
    ASSERT_TRUE(stats.Add(id, faces[id]).ok());
  }
  ASSERT_EQ(stats.size(), static_cast<int64_t>(faces.size()));
  for (const auto& [id, e] : faces) {
    auto m = stats.Mean(id);
    ASSERT_TRUE(m.ok());
    EXPECT_NEAR(*m, BruteMean(faces, id, 3), 1e-5) << id;
  }
  const auto probe = RandomUnit(rng);
  auto with_probe = faces;
  with_probe[-7] = probe;
  EXPECT_NEAR(stats.ProbeMean(probe, -1), BruteMean(with_probe, -7, 3), 1e-5);
}

TEST(NeighbourhoodStats, ErrorsAndSmallGalleries) {
  NeighbourhoodStats stats(kDim, 5);
  std::vector<float> e(kDim, 0.0f);
  e[0] = 1;
  EXPECT_EQ(stats.Add(1, std::vector<float>(3)).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(stats.Add(1, e).ok());
  EXPECT_EQ(stats.Add(1, e).code(), StatusCode::kAlreadyExists);
  EXPECT_FLOAT_EQ(*stats.Mean(1), 0.0f);  // alone
  ASSERT_TRUE(stats.Add(2, e).ok());
  EXPECT_FLOAT_EQ(*stats.Mean(1), 1.0f);  // one neighbour, fewer than k
  EXPECT_EQ(stats.Remove(9).code(), StatusCode::kNotFound);
  EXPECT_EQ(stats.Mean(9).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(stats.Remove(2).ok());
  EXPECT_FLOAT_EQ(*stats.Mean(1), 0.0f);
}

// The persisted state reloads exactly (means, and later updates behave as if never saved), and a
// damaged or foreign file reads as Corruption, never as a silently different gallery.
TEST(NeighbourhoodStatsFile, RoundTripThenKeepsUpdatingExactly) {
  likeness::testing::TempDir dir;
  std::mt19937 rng(7);
  std::map<int64_t, std::vector<float>> faces;
  NeighbourhoodStats stats(kDim, 3);
  for (int64_t id = 1; id <= 30; ++id) {
    faces[id] = RandomUnit(rng);
    ASSERT_TRUE(stats.Add(id, faces[id]).ok());
  }
  const auto path = dir.path() / "hubness.lkhub";
  ASSERT_TRUE(stats.Save(path, 42).ok());
  auto loaded = NeighbourhoodStats::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->tag, 42u);
  auto& back = *loaded->stats;
  EXPECT_EQ(back.size(), 30);
  EXPECT_EQ(back.k(), 3);
  for (const auto& [id, e] : faces) EXPECT_FLOAT_EQ(*back.Mean(id), *stats.Mean(id)) << id;
  // Updates after a reload stay exact.
  ASSERT_TRUE(back.Remove(5).ok());
  faces.erase(5);
  faces[99] = RandomUnit(rng);
  ASSERT_TRUE(back.Add(99, faces[99]).ok());
  for (const auto& [id, e] : faces)
    EXPECT_NEAR(*back.Mean(id), BruteMean(faces, id, 3), 1e-5) << id;
}

TEST(NeighbourhoodStatsFile, DamagedOrMissingFiles) {
  likeness::testing::TempDir dir;
  const auto path = dir.path() / "hubness.lkhub";
  EXPECT_EQ(NeighbourhoodStats::Load(path).status().code(), StatusCode::kNotFound);
  std::mt19937 rng(3);
  NeighbourhoodStats stats(kDim, 2);
  for (int64_t id = 1; id <= 5; ++id) ASSERT_TRUE(stats.Add(id, RandomUnit(rng)).ok());
  ASSERT_TRUE(stats.Save(path, 1).ok());
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  for (size_t at : {size_t{0}, size_t{20}, bytes.size() / 2, bytes.size() - 1}) {
    std::string bad = bytes;
    bad[at] ^= 0x5a;
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bad;
    EXPECT_EQ(NeighbourhoodStats::Load(path).status().code(), StatusCode::kCorruption) << at;
  }
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() / 2);
  EXPECT_EQ(NeighbourhoodStats::Load(path).status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace likeness::openset
