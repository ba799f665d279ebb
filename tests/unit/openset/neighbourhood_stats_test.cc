#include "openset/neighbourhood_stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>

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

}  // namespace
}  // namespace likeness::openset
