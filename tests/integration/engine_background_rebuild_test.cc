// Engine::StartBackgroundRebuild: the index is rebuilt (and, for kinds with codebooks, retrained on
// a fresh catalog sample) while stores and erasures go on against the current index; the new index
// must end up holding exactly the catalog's searchable faces, erased ones included nowhere.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <random>
#include <set>
#include <thread>

#include "engine/engine.h"
#include "engine/ingest.h"
#include "testing/random_face.h"
#include "testing/test_env.h"

namespace likeness::engine {
namespace {

using likeness::testing::RandomFace;

class BackgroundRebuildTest : public ::testing::Test {
 protected:
  void Open(const std::string& kind) {
    ASSERT_TRUE(likeness::testing::ModelDir()) << "models missing: run scripts/setup";
    options_.data_dir = dir_.path() / "data";
    options_.model_dir = *likeness::testing::ModelDir();
    options_.index_factory = kind;
    auto engine = Engine::Open(options_);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(*engine);
    auto source = DeclareSource(engine_->catalog(), {.name = "synthetic",
                                                     .legal_basis = "art6-1-e",
                                                     .art9_condition = "art9-2-g",
                                                     .jurisdiction = "de",
                                                     .collector = "test"});
    ASSERT_TRUE(source.ok()) << source.status().ToString();
    source_ = source->id;
    auto batch = engine_->catalog().BeginBatch(source_);
    ASSERT_TRUE(batch.ok());
    batch_ = *batch;
  }

  // Stores one image with `faces` random faces; returns their ids.
  std::vector<int64_t> Store(int faces) {
    catalog::ImageRecord image;
    image.source_id = source_;
    image.batch_id = batch_;
    image.content_hash = std::to_string(next_image_++);
    image.content_hash.resize(64, 'f');
    image.path = "/synthetic/" + image.content_hash;
    image.format = "jpeg";
    std::vector<catalog::FaceRecord> rows;
    for (int i = 0; i < faces; ++i) {
      rows.push_back(RandomFace(rng_));
      rows.back().model_id = engine_->embedding_model_id();
    }
    Status st = engine_->StoreImage(image, rows);
    EXPECT_TRUE(st.ok()) << st.ToString();
    std::vector<int64_t> ids;
    for (const auto& r : rows) ids.push_back(r.id);
    return ids;
  }

  // Every searchable catalog face is in the index and finds itself first; `erased` are absent.
  void ExpectIndexMatchesCatalog(const std::set<int64_t>& erased) {
    std::vector<std::pair<int64_t, Embedding>> held;
    ASSERT_TRUE(engine_->catalog()
                    .ForEachEmbedding([&](int64_t id, bool, std::span<const float> e) {
                      held.emplace_back(id, Embedding(e.begin(), e.end()));
                      return true;
                    })
                    .ok());
    EXPECT_EQ(engine_->index().size(), static_cast<int64_t>(held.size()));
    for (const auto& [id, e] : held) {
      EXPECT_FALSE(erased.count(id)) << id;
      auto hits = engine_->index().Search(e, 1);
      ASSERT_TRUE(hits.ok());
      ASSERT_FALSE(hits->at(0).empty());
      EXPECT_EQ(hits->at(0)[0].id, id);
    }
    for (int64_t id : erased) EXPECT_FALSE(engine_->index().Contains(id)) << id;
  }

  likeness::testing::TempDir dir_;
  EngineOptions options_;
  std::unique_ptr<Engine> engine_;
  int64_t source_ = 0, batch_ = 0;
  int next_image_ = 0;
  std::mt19937 rng_{5};
};

TEST_F(BackgroundRebuildTest, StoresAndErasuresDuringTheRebuildAllReachTheNewIndex) {
  Open("Flat");
  std::vector<int64_t> ids;
  for (int i = 0; i < 200; ++i) {
    auto got = Store(3);
    ids.insert(ids.end(), got.begin(), got.end());
  }
  index::VectorIndex* before = &engine_->index();
  ASSERT_TRUE(engine_->StartBackgroundRebuild().ok());
  EXPECT_EQ(engine_->StartBackgroundRebuild().code(), StatusCode::kFailedPrecondition);
  // Meanwhile: more stores, and erasures of old and new faces (catalog delete, then unindex, as
  // governance's erasure does), while searches run.
  std::set<int64_t> erased;
  std::atomic<bool> searching{true};
  std::thread searcher([&] {
    std::mt19937 rng(9);
    while (searching.load()) {
      auto f = RandomFace(rng);
      ASSERT_TRUE(engine_->index().Search(f.embedding, 5).ok());
    }
  });
  for (int i = 0; i < 150; ++i) {
    auto got = Store(2);
    if (i % 10 == 0) {
      std::vector<int64_t> gone = {ids[static_cast<size_t>(i)], got[0]};
      ASSERT_TRUE(engine_->catalog().DeleteFaces(gone).ok());
      ASSERT_TRUE(engine_->UnindexFaces(gone).ok());
      erased.insert(gone.begin(), gone.end());
    }
  }
  ASSERT_TRUE(engine_->WaitForBackgroundRebuild().ok());
  searching.store(false);
  searcher.join();
  EXPECT_NE(&engine_->index(), before) << "the rebuilt index took over";
  EXPECT_FALSE(engine_->background_rebuild_running());
  ExpectIndexMatchesCatalog(erased);
  // The saved file is the new index, current with the catalog: a reopen loads it as it is.
  engine_.reset();
  auto reopened = Engine::Open(options_);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  engine_ = std::move(*reopened);
  ExpectIndexMatchesCatalog(erased);
}

TEST_F(BackgroundRebuildTest, CodebooksTrainedOnAFirstSmallIngestAreRetrainedOnTheCatalog) {
  Open("IVF4,PQ16,rerank=fp16,nprobe=4");
  (void)Store(300);  // the first Add trains the codebooks on these 300 vectors
  auto trained = engine_->index().codebook();
  ASSERT_TRUE(trained.has_value());
  EXPECT_EQ(trained->sample_size, 300);
  EXPECT_FALSE(engine_->IndexNeedsRetraining()) << "not grown yet";
  for (int i = 0; i < 100; ++i) (void)Store(3);
  ASSERT_TRUE(engine_->IndexNeedsRetraining()) << "600 faces, trained on 300 of 10000 wanted";
  ASSERT_TRUE(engine_->StartBackgroundRebuild().ok());
  for (int i = 0; i < 20; ++i) (void)Store(1);
  ASSERT_TRUE(engine_->WaitForBackgroundRebuild().ok());
  auto retrained = engine_->index().codebook();
  ASSERT_TRUE(retrained.has_value());
  EXPECT_GE(retrained->sample_size, 600) << "trained on a sample of the whole catalog";
  EXPECT_NE(retrained->provenance.catalog_generation, 0u);
  EXPECT_NE(retrained->fingerprint, trained->fingerprint);
  EXPECT_FALSE(engine_->IndexNeedsRetraining());
  ExpectIndexMatchesCatalog({});
}

}  // namespace
}  // namespace likeness::engine
