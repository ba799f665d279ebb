// Engine::StoreImage against SaveIndex: a save must never stamp the catalog generation of a commit
// whose faces are not yet in the index. Regression: uploads stored with AddImageWithFaces and then
// IndexFaces, and a concurrent upload's SaveIndex in between wrote an index file that looked fresh
// yet lacked the face, so after a restart the face was held but never found (until a rebuild).
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <random>
#include <thread>

#include "engine/engine.h"
#include "engine/ingest.h"
#include "testing/random_face.h"
#include "testing/test_env.h"

namespace likeness::engine {
namespace {

using likeness::testing::RandomFace;

TEST(EngineStoreTest, SavesDuringStoresNeverStampAFaceMissingFromTheIndex) {
  ASSERT_TRUE(likeness::testing::ModelDir()) << "models missing: run scripts/setup";
  likeness::testing::TempDir dir;
  EngineOptions options;
  options.data_dir = dir.path() / "data";
  options.model_dir = *likeness::testing::ModelDir();
  constexpr int kImages = 400;
  {
    auto engine = Engine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    Engine& e = **engine;
    auto source = DeclareSource(e.catalog(), {.name = "synthetic",
                                              .legal_basis = "art6-1-e",
                                              .art9_condition = "art9-2-g",
                                              .jurisdiction = "de",
                                              .collector = "test"});
    ASSERT_TRUE(source.ok()) << source.status().ToString();
    auto batch = e.catalog().BeginBatch(source->id);
    ASSERT_TRUE(batch.ok());
    const std::string model = e.embedding_model_id();

    std::atomic<bool> done{false};
    std::thread saver([&] {
      while (!done.load()) ASSERT_TRUE(e.SaveIndex().ok());
    });
    std::mt19937 rng(11);
    for (int i = 0; i < kImages; ++i) {
      catalog::ImageRecord image;
      image.source_id = source->id;
      image.batch_id = *batch;
      image.content_hash = std::string(60, '0') + std::to_string(1000 + i);
      image.path = "/synthetic/" + std::to_string(i) + ".jpg";
      image.format = "jpeg";
      image.width = image.height = 100;
      image.bytes = 1000;
      std::vector<catalog::FaceRecord> faces = {RandomFace(rng)};
      faces[0].model_id = model;
      ASSERT_TRUE(e.StoreImage(image, faces).ok());
    }
    done = true;
    saver.join();
    // The last save may have run before the last store: the file on disk is then older than the
    // catalog, which the next open must notice (generation) rather than trust.
  }
  // Reopen as after a crash (no final save): every committed face must be searchable.
  auto reopened = Engine::Open(options);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  auto stats = (*reopened)->catalog().Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->searchable_faces, kImages);
  EXPECT_EQ((*reopened)->index().size(), kImages);
}

}  // namespace
}  // namespace likeness::engine
