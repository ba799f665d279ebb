// The SIMD exact store behind the VectorIndex interface: "Exact", "Exact,fp16", "Exact,int8".
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>

#include "index/vector_index.h"
#include "testing/test_env.h"

namespace likeness::index {
namespace {

std::vector<float> RandomUnitVectors(int n, int dim, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  std::vector<float> v(static_cast<size_t>(n) * dim);
  for (int i = 0; i < n; ++i) {
    double norm = 0;
    for (int d = 0; d < dim; ++d) norm += std::pow(v[i * dim + d] = g(rng), 2);
    for (int d = 0; d < dim; ++d) v[i * dim + d] /= static_cast<float>(std::sqrt(norm));
  }
  return v;
}

class ExactIndexTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ExactIndexTest, AddSearchRemovePersistLikeAnyIndex) {
  constexpr int kDim = 512, kN = 2000;
  auto created = CreateIndex(GetParam(), kDim);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  auto& index = **created;
  EXPECT_EQ(index.factory(), GetParam());
  const auto vectors = RandomUnitVectors(kN, kDim, 7);
  std::vector<int64_t> ids(kN);
  for (int i = 0; i < kN; ++i) ids[i] = 1'000'000'007LL * (i + 1);
  ASSERT_TRUE(index.Add(ids, vectors).ok());
  EXPECT_EQ(index.Add({ids.data(), 1}, {vectors.data(), kDim}).code(), StatusCode::kAlreadyExists);

  // Each stored vector finds itself first.
  for (int q = 0; q < 50; ++q) {
    auto hits = index.Search({vectors.data() + q * kDim, kDim}, 5);
    ASSERT_TRUE(hits.ok());
    ASSERT_EQ((*hits)[0].size(), 5u);
    EXPECT_EQ((*hits)[0][0].id, ids[q]);
    EXPECT_NEAR((*hits)[0][0].score, 1.0f, 0.02f);
  }
  auto removed = index.Remove({ids.data(), 10});
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 10);
  EXPECT_FALSE(index.Contains(ids[0]));
  auto hits = index.Search({vectors.data(), kDim}, 3);
  ASSERT_TRUE(hits.ok());
  for (const auto& h : (*hits)[0]) EXPECT_NE(h.id, ids[0]);

  likeness::testing::TempDir dir;
  const auto path = dir.path() / "faces.lkidx";
  ASSERT_TRUE(index.Save(path, 42).ok());
  auto loaded = LoadIndex(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->generation, 42u);
  EXPECT_EQ(loaded->index->factory(), GetParam());
  EXPECT_EQ(loaded->index->size(), kN - 10);
  auto again = loaded->index->Search({vectors.data() + 20 * kDim, kDim}, 1);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[0][0].id, ids[20]);

  {  // A flipped byte is caught by the store's checksum.
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(200);
    f.put('\x5a');
  }
  EXPECT_EQ(LoadIndex(path).status().code(), StatusCode::kCorruption);
}

INSTANTIATE_TEST_SUITE_P(Precisions, ExactIndexTest,
                         ::testing::Values("Exact", "Exact,fp16", "Exact,int8"));

TEST(ExactIndexFactoryTest, BadPrecisionIsInvalidArgument) {
  EXPECT_EQ(CreateIndex("Exact,fp8", 512).status().code(), StatusCode::kInvalidArgument);
}

TEST(ExactIndexFactoryTest, EmptyIndexSearchReturnsEmptyLists) {
  auto created = CreateIndex("Exact,fp16", 8);
  ASSERT_TRUE(created.ok());
  std::vector<float> q(8, 0.5f);
  auto hits = (*created)->Search(q, 3);
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_TRUE((*hits)[0].empty());
}

}  // namespace
}  // namespace likeness::index
