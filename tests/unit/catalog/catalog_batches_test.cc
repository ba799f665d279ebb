// The catalog's contract, part 3: batches, ingest errors, stats and concurrent use.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "catalog/catalog.h"
#include "catalog_fixture.h"

namespace likeness::catalog {
namespace {

using testing::CatalogTest;
using testing::ExpectSameFace;
using testing::IsTimestamp;
using testing::kModelA;
using testing::kModelB;
using testing::MakeFace;
using testing::MakeFaces;
using testing::MakeImage;
using testing::MakeSource;

// ---------------------------------------------------------------------------------------------------
// Batches, stats, concurrency

TEST_F(CatalogTest, BatchesAndIngestErrors) {
  EXPECT_EQ(catalog_->BeginBatch(5555).status().code(), StatusCode::kNotFound);
  auto batch = catalog_->BeginBatch(source_.id);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  auto running = catalog_->GetBatch(*batch);
  ASSERT_TRUE(running.ok());
  EXPECT_EQ(running->source_id, source_.id);
  EXPECT_TRUE(IsTimestamp(running->started_at));
  EXPECT_EQ(running->finished_at, "");

  ASSERT_TRUE(catalog_->RecordIngestError(*batch, "/data/broken.jpg", "truncated JPEG").ok());
  EXPECT_EQ(catalog_->RecordIngestError(6666, "/x", "y").code(), StatusCode::kNotFound);

  BatchRecord totals;
  totals.id = *batch;
  totals.images = 10;
  totals.faces = 14;
  totals.errors = 1;
  totals.skipped = 2;
  ASSERT_TRUE(catalog_->FinishBatch(totals).ok());
  auto done = catalog_->GetBatch(*batch);
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(IsTimestamp(done->finished_at)) << done->finished_at;
  EXPECT_EQ(done->images, 10);
  EXPECT_EQ(done->faces, 14);
  EXPECT_EQ(done->errors, 1);
  EXPECT_EQ(done->skipped, 2);

  EXPECT_EQ(catalog_->FinishBatch(totals).code(), StatusCode::kFailedPrecondition);
  totals.id = 8888;
  EXPECT_EQ(catalog_->FinishBatch(totals).code(), StatusCode::kNotFound);
  totals.id = *batch;
  totals.images = -1;
  EXPECT_EQ(catalog_->FinishBatch(totals).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(catalog_->GetBatch(8888).status().code(), StatusCode::kNotFound);

  ImageRecord image = MakeImage(source_.id, "in-missing-batch");
  image.batch_id = 8888;
  std::vector<FaceRecord> faces;
  EXPECT_EQ(catalog_->AddImageWithFaces(image, faces).code(), StatusCode::kNotFound);
}

TEST_F(CatalogTest, StatsCountEverything) {
  CatalogStats empty = GetStats();
  EXPECT_EQ(empty.sources, 1);
  EXPECT_EQ(empty.images, 0);
  EXPECT_EQ(empty.faces, 0);
  EXPECT_EQ(empty.model_id, "");
  EXPECT_EQ(empty.schema_version, LatestSchemaVersion());

  auto batch = catalog_->BeginBatch(source_.id);
  ASSERT_TRUE(batch.ok());
  ASSERT_TRUE(catalog_->RecordIngestError(*batch, "/a", "bad").ok());
  ASSERT_TRUE(catalog_->RecordIngestError(*batch, "/b", "bad").ok());
  AddImage("s1", 2);
  ImageRecord image = MakeImage(source_.id, "s2");
  std::vector<FaceRecord> faces = MakeFaces(kModelA, 3);
  faces[2].searchable = false;
  ASSERT_TRUE(catalog_->AddImageWithFaces(image, faces).ok());

  CatalogStats stats = GetStats();
  EXPECT_EQ(stats.sources, 1);
  EXPECT_EQ(stats.images, 2);
  EXPECT_EQ(stats.faces, 5);
  EXPECT_EQ(stats.searchable_faces, 4);
  EXPECT_EQ(stats.batches, 1);
  EXPECT_EQ(stats.errors, 2);
  EXPECT_EQ(stats.model_id, kModelA);
  EXPECT_EQ(stats.schema_version, LatestSchemaVersion());
  EXPECT_TRUE(catalog_->CheckIntegrity().ok());
}

TEST_F(CatalogTest, ConcurrentWritersAreSerialised) {
  constexpr int kThreads = 4;
  constexpr int kImagesEach = 15;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < kImagesEach; ++i) {
        ImageRecord image =
            MakeImage(source_.id, "t" + std::to_string(t) + "-" + std::to_string(i));
        std::vector<FaceRecord> faces = MakeFaces(kModelA, 1 + i % 2);
        Status s = catalog_->AddImageWithFaces(image, faces);
        EXPECT_TRUE(s.ok()) << s.ToString();
        auto stats = catalog_->Stats();
        EXPECT_TRUE(stats.ok());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CatalogStats stats = GetStats();
  EXPECT_EQ(stats.images, kThreads * kImagesEach);
  EXPECT_EQ(Gen(), static_cast<uint64_t>(kThreads * kImagesEach));
}

}  // namespace
}  // namespace likeness::catalog
