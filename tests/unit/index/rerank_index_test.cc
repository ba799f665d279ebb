// IVF-PQ with exact re-rank from a memory-mapped fp16/int8 vector file.
#include "index/rerank_index.h"

#include <gtest/gtest.h>

#include "index_test_util.h"
#include "testing/test_env.h"

namespace likeness::index {
namespace {

using testutil::BruteForce;
using testutil::ClusteredUnitVectors;
using testutil::Row;

constexpr int kDim = 64;
constexpr size_t kN = 5000;

double Recall(VectorIndex& index, const std::vector<float>& data, const std::vector<int64_t>& ids,
              const std::vector<float>& queries, int k,
              const std::unordered_set<int64_t>& skip = {}) {
  auto found = index.Search(queries, k);
  EXPECT_TRUE(found.ok()) << found.status().ToString();
  if (!found.ok()) return 0;
  size_t hit = 0, total = 0;
  for (size_t q = 0; q < found->size(); ++q) {
    const auto truth = BruteForce(data, ids, Row(queries, q, kDim), k, skip);
    std::unordered_set<int64_t> got;
    for (const Hit& h : (*found)[q]) {
      EXPECT_EQ(skip.count(h.id), 0u);
      got.insert(h.id);
    }
    for (const Hit& h : truth) hit += got.count(h.id);
    total += truth.size();
  }
  return static_cast<double>(hit) / static_cast<double>(total);
}

std::vector<int64_t> IncreasingIds(size_t n) {
  std::vector<int64_t> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = 1000 + 3 * static_cast<int64_t>(i);
  return ids;
}

class RerankIndexTest : public ::testing::TestWithParam<const char*> {};

TEST(RerankFactoryTest, Parses) {
  EXPECT_TRUE(IsRerankFactory("IVF64,PQ16,rerank=fp16"));
  EXPECT_FALSE(IsRerankFactory("IVF64,PQ16"));
  auto p = ParseRerankFactory("IVF64,PQ16,rerank=int8,nprobe=8,cand=50", kDim);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->nlist, 64);
  EXPECT_EQ(p->pq_m, 16);
  EXPECT_EQ(p->precision, RerankPrecision::kInt8);
  EXPECT_EQ(p->nprobe, 8);
  EXPECT_EQ(p->candidates, 50);
  for (const char* bad : {"IVF64,PQ15,rerank=fp16", "IVF0,PQ16,rerank=fp16",
                          "IVF64,PQ16,rerank=fp8", "IVF64,PQ16,rerank=fp16,zz=1"}) {
    EXPECT_EQ(CreateIndex(bad, kDim).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST_P(RerankIndexTest, TrainAddSearchRemovePersist) {
  likeness::testing::TempDir dir;
  auto created = CreateIndex(GetParam(), kDim, {.scratch_dir = dir.path()});
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  VectorIndex& index = **created;
  EXPECT_GT(index.TrainingSampleSize(), 0);
  const auto data = ClusteredUnitVectors(kN, kDim, 500, 1.0f, 11);
  const auto ids = IncreasingIds(kN);
  // Too few to train.
  EXPECT_EQ(index.Train(std::span<const float>(data).first(10 * kDim), {}).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_FALSE(index.codebook().has_value());
  ASSERT_TRUE(index.Train(data, {.sample_seed = 42, .catalog_generation = 6}).ok());
  const std::optional<CodebookVersion> trained = index.codebook();
  ASSERT_TRUE(trained.has_value());
  EXPECT_EQ(trained->kind, GetParam());
  EXPECT_EQ(trained->recipe, kRerankCodebookVersion);
  EXPECT_NE(trained->fingerprint, 0u);
  EXPECT_EQ(trained->sample_size, static_cast<int64_t>(kN));
  EXPECT_EQ(trained->provenance.sample_seed, 42u);
  EXPECT_EQ(trained->provenance.catalog_generation, 6u);
  // Added in two batches.
  const size_t half = kN / 2;
  ASSERT_TRUE(index.Add(std::span(ids).first(half), std::span(data).first(half * kDim)).ok());
  ASSERT_TRUE(index.Add(std::span(ids).subspan(half), std::span(data).subspan(half * kDim)).ok());
  EXPECT_EQ(index.size(), static_cast<int64_t>(kN));
  index.ShrinkToFit();  // changes no result below
  EXPECT_EQ(index.Add({&ids[3], 1}, Row(data, 3, kDim)).code(), StatusCode::kAlreadyExists);
  const auto queries = ClusteredUnitVectors(100, kDim, 500, 1.0f, 11);
  EXPECT_GE(Recall(index, data, ids, queries, 10), 0.9);
  auto self = index.Search(Row(data, 9, kDim), 1);
  ASSERT_TRUE(self.ok());
  EXPECT_EQ((*self)[0][0].id, ids[9]);
  EXPECT_NEAR((*self)[0][0].score, 1.0f, 0.01);

  std::vector<int64_t> gone(ids.begin(), ids.begin() + 500);
  auto removed = index.Remove(gone);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 500);
  EXPECT_FALSE(index.Contains(ids[0]));
  EXPECT_TRUE(index.Contains(ids[600]));
  const std::unordered_set<int64_t> skip(gone.begin(), gone.end());
  EXPECT_GE(Recall(index, data, ids, queries, 10, skip), 0.9);

  const auto path = dir.path() / "ivf.lkidx";
  ASSERT_TRUE(index.Save(path, 7).ok());
  EXPECT_TRUE(std::filesystem::exists(RerankVectorPath(path)));
  // Re-adding a removed id (out of order) still works after the save.
  ASSERT_TRUE(index.Add({&ids[0], 1}, Row(data, 0, kDim)).ok());
  EXPECT_TRUE(index.Contains(ids[0]));
  auto loaded = LoadIndex(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->generation, 7u);
  EXPECT_EQ(loaded->index->factory(), GetParam());
  // The codebook version survives the file.
  const std::optional<CodebookVersion> reloaded = loaded->index->codebook();
  ASSERT_TRUE(reloaded.has_value());
  EXPECT_EQ(reloaded->kind, trained->kind);
  EXPECT_EQ(reloaded->recipe, trained->recipe);
  EXPECT_EQ(reloaded->fingerprint, trained->fingerprint);
  EXPECT_EQ(reloaded->sample_size, trained->sample_size);
  EXPECT_EQ(reloaded->provenance.sample_seed, 42u);
  EXPECT_EQ(reloaded->provenance.catalog_generation, 6u);
  EXPECT_EQ(loaded->index->size(), static_cast<int64_t>(kN) - 500);
  EXPECT_FALSE(loaded->index->Contains(ids[0]));
  EXPECT_GE(Recall(*loaded->index, data, ids, queries, 10, skip), 0.9);
  auto bytes = testutil::ReadBytes(path);
  bytes[bytes.size() / 3] ^= 1;
  testutil::WriteBytes(path, bytes);
  EXPECT_EQ(LoadIndex(path).status().code(), StatusCode::kCorruption);
}

TEST(RerankIndexTest, FirstAddTrainsWhenNotTrained) {
  likeness::testing::TempDir dir;
  auto created = CreateIndex("IVF16,PQ8,rerank=fp16", kDim, {.scratch_dir = dir.path()});
  ASSERT_TRUE(created.ok());
  const auto data = ClusteredUnitVectors(100, kDim, 10, 1.0f, 3);
  EXPECT_EQ((*created)->Add(IncreasingIds(100), data).code(), StatusCode::kFailedPrecondition);
  const auto more = ClusteredUnitVectors(3000, kDim, 100, 1.0f, 4);
  EXPECT_TRUE((*created)->Add(IncreasingIds(3000), more).ok());
  // Trained on the first Add: its size, no sampler provenance.
  const std::optional<CodebookVersion> codebook = (*created)->codebook();
  ASSERT_TRUE(codebook.has_value());
  EXPECT_EQ(codebook->sample_size, 3000);
  EXPECT_EQ(codebook->provenance.sample_seed, 0u);
  EXPECT_EQ(codebook->provenance.catalog_generation, 0u);
}

TEST(RerankIndexTest, SetRerankSearchChangesSettingsOfReRankIndexesOnly) {
  likeness::testing::TempDir dir;
  auto created = CreateIndex("IVF16,PQ8,rerank=fp16", kDim, {.scratch_dir = dir.path()});
  ASSERT_TRUE(created.ok());
  const auto data = ClusteredUnitVectors(3000, kDim, 100, 1.0f, 5);
  const auto ids = IncreasingIds(3000);
  ASSERT_TRUE((*created)->Add(ids, data).ok());
  EXPECT_EQ(SetRerankSearch(**created, 0, 100).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SetRerankSearch(**created, 4, 0).code(), StatusCode::kInvalidArgument);
  // nprobe above nlist is capped: all lists, so every vector finds itself.
  ASSERT_TRUE(SetRerankSearch(**created, 1000, 50).ok());
  auto self = (*created)->Search(Row(data, 17, kDim), 1);
  ASSERT_TRUE(self.ok());
  EXPECT_EQ((*self)[0][0].id, ids[17]);
  auto flat = CreateIndex("Flat", kDim);
  ASSERT_TRUE(flat.ok());
  EXPECT_EQ(SetRerankSearch(**flat, 4, 100).code(), StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Precisions, RerankIndexTest,
                         ::testing::Values("IVF32,PQ16,rerank=fp16",
                                           "IVF32,PQ16,rerank=int8,nprobe=24"),
                         [](const auto& info) { return info.index == 0 ? "Fp16" : "Int8"; });

}  // namespace
}  // namespace likeness::index
