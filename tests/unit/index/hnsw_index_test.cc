// hnswlib kind ("HNSW<M>[,ef=..]"): add/search/delete/persist and background compaction.
#include "index/hnsw_index.h"

#include <gtest/gtest.h>

#include <thread>

#include "index_test_util.h"
#include "testing/test_env.h"

namespace likeness::index {
namespace {

using testutil::BruteForce;
using testutil::ClusteredUnitVectors;
using testutil::MustCreate;
using testutil::Row;
using testutil::SparseIds;

constexpr int kDim = 64;
constexpr size_t kN = 5000;

double RecallAt(VectorIndex& index, const std::vector<float>& data, const std::vector<int64_t>& ids,
                const std::vector<float>& queries, int k,
                const std::unordered_set<int64_t>& skip = {}) {
  const size_t nq = queries.size() / kDim;
  auto found = index.Search(queries, k);
  EXPECT_TRUE(found.ok()) << found.status().ToString();
  if (!found.ok()) return 0;
  size_t hit = 0, total = 0;
  for (size_t q = 0; q < nq; ++q) {
    const auto truth = BruteForce(data, ids, Row(queries, q, kDim), k, skip);
    std::unordered_set<int64_t> got;
    for (const Hit& h : (*found)[q]) {
      EXPECT_EQ(skip.count(h.id), 0u) << "a removed id came back";
      got.insert(h.id);
    }
    for (const Hit& h : truth) hit += got.count(h.id);
    total += truth.size();
  }
  return static_cast<double>(hit) / static_cast<double>(total);
}

TEST(HnswFactoryTest, ParsesKinds) {
  EXPECT_TRUE(IsHnswlibFactory("HNSW32"));
  EXPECT_TRUE(IsHnswlibFactory("HNSW16,ef=64"));
  EXPECT_FALSE(IsHnswlibFactory("HNSW32,Flat"));  // FAISS's
  EXPECT_FALSE(IsHnswlibFactory("HNSW,Flat"));
  auto p = ParseHnswFactory("HNSW16,ef=64,efc=100");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->m, 16);
  EXPECT_EQ(p->ef_search, 64);
  EXPECT_EQ(p->ef_construction, 100);
  for (const char* bad : {"HNSW1", "HNSW999", "HNSW32,ef=0", "HNSW32,ef=x", "HNSW32,ef=1,zz=3"}) {
    EXPECT_EQ(CreateIndex(bad, kDim).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(HnswIndexTest, AddSearchRecall) {
  auto index = MustCreate("HNSW16,ef=64", kDim);
  ASSERT_NE(index, nullptr);
  const auto data = ClusteredUnitVectors(kN, kDim, 500, 1.0f, 1);
  const auto ids = SparseIds(kN, 2);
  ASSERT_TRUE(index->Add(ids, data).ok());
  EXPECT_EQ(index->size(), static_cast<int64_t>(kN));
  EXPECT_EQ(index->Add({&ids[0], 1}, Row(data, 0, kDim)).code(), StatusCode::kAlreadyExists);
  const auto queries = ClusteredUnitVectors(100, kDim, 500, 1.0f, 1);
  EXPECT_GE(RecallAt(*index, data, ids, queries, 10), 0.95);
  // A stored vector finds itself first.
  auto self = index->Search(Row(data, 7, kDim), 1);
  ASSERT_TRUE(self.ok());
  ASSERT_EQ((*self)[0].size(), 1u);
  EXPECT_EQ((*self)[0][0].id, ids[7]);
  EXPECT_NEAR((*self)[0][0].score, 1.0f, 1e-4);
  EXPECT_EQ(index->Search(queries, 0).status().code(), StatusCode::kInvalidArgument);
}

TEST(HnswIndexTest, EmptyIndexReturnsEmptyLists) {
  auto index = MustCreate("HNSW8", 8);
  ASSERT_NE(index, nullptr);
  std::vector<float> q(8, 0.5f);
  auto found = index->Search(q, 3);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_TRUE((*found)[0].empty());
}

TEST(HnswIndexTest, RemoveCompactsInTheBackgroundAndKeepsRecall) {
  auto index = MustCreate("HNSW16,ef=64", kDim);
  ASSERT_NE(index, nullptr);
  const auto data = ClusteredUnitVectors(kN, kDim, 500, 1.0f, 3);
  const auto ids = SparseIds(kN, 4);
  ASSERT_TRUE(index->Add(ids, data).ok());
  // Below the threshold: tombstones only.
  std::vector<int64_t> gone(ids.begin(), ids.begin() + 100);
  auto removed = index->Remove(gone);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 100);
  EXPECT_FALSE(WaitForHnswCompaction(index.get()));
  EXPECT_EQ(HnswTombstones(index.get()), 100);
  EXPECT_FALSE(index->Contains(ids[0]));
  // Past it: a compaction starts; searches keep working while it runs.
  gone.assign(ids.begin(), ids.begin() + 1000);
  ASSERT_TRUE(index->Remove(gone).ok());
  const auto queries = ClusteredUnitVectors(50, kDim, 500, 1.0f, 3);
  const std::unordered_set<int64_t> skip(gone.begin(), gone.end());
  EXPECT_GE(RecallAt(*index, data, ids, queries, 10, skip), 0.9);
  // Writes during the compaction are replayed onto the new graph.
  ASSERT_TRUE(index->Add({&ids[0], 1}, Row(data, 0, kDim)).ok());
  ASSERT_TRUE(index->Remove({&ids[2000], 1}).ok());
  EXPECT_TRUE(WaitForHnswCompaction(index.get()));
  EXPECT_LE(HnswTombstones(index.get()), 1);
  EXPECT_TRUE(index->Contains(ids[0]));
  EXPECT_FALSE(index->Contains(ids[1]));
  EXPECT_FALSE(index->Contains(ids[2000]));
  EXPECT_EQ(index->size(), static_cast<int64_t>(kN) - 1000);
  std::unordered_set<int64_t> skip2(gone.begin() + 1, gone.end());
  skip2.insert(ids[2000]);
  EXPECT_GE(RecallAt(*index, data, ids, queries, 10, skip2), 0.9);
}

TEST(HnswIndexTest, SaveLoadRoundTrip) {
  likeness::testing::TempDir dir;
  auto index = MustCreate("HNSW16,ef=64", kDim);
  ASSERT_NE(index, nullptr);
  const auto data = ClusteredUnitVectors(2000, kDim, 200, 1.0f, 5);
  const auto ids = SparseIds(2000, 6);
  ASSERT_TRUE(index->Add(ids, data).ok());
  ASSERT_TRUE(index->Remove({&ids[5], 1}).ok());
  const auto path = dir.path() / "hnsw.lkidx";
  ASSERT_TRUE(index->Save(path, 42).ok());
  auto loaded = LoadIndex(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->generation, 42u);
  EXPECT_EQ(loaded->index->factory(), "HNSW16,ef=64");
  EXPECT_EQ(loaded->index->size(), 1999);
  EXPECT_FALSE(loaded->index->Contains(ids[5]));
  const auto queries = ClusteredUnitVectors(20, kDim, 200, 1.0f, 5);
  auto a = index->Search(queries, 5);
  auto b = loaded->index->Search(queries, 5);
  ASSERT_TRUE(a.ok() && b.ok());
  for (size_t q = 0; q < a->size(); ++q) {
    ASSERT_EQ((*a)[q].size(), (*b)[q].size());
    for (size_t j = 0; j < (*a)[q].size(); ++j) EXPECT_EQ((*a)[q][j].id, (*b)[q][j].id);
  }
  // Adds after a load grow the graph.
  const auto more = ClusteredUnitVectors(100, kDim, 200, 1.0f, 7);
  const auto more_ids = SparseIds(100, 8);
  EXPECT_TRUE(loaded->index->Add(more_ids, more).ok());
  // A flipped byte is Corruption.
  auto bytes = testutil::ReadBytes(path);
  bytes[bytes.size() / 2] ^= 1;
  testutil::WriteBytes(path, bytes);
  EXPECT_EQ(LoadIndex(path).status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace likeness::index
