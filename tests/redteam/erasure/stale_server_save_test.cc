// Attack on "a server never saves an index older than the catalog" (issue 12, finding 2): a
// running server holds face X in its index; another writer erases X from the same data folder
// (bypassing the one-writer lock, as an older build or a direct SQLite session could); then the
// server takes an upload and its index saver writes its index. Before the fix that save wrote X
// back into the index file, stamped with the catalog's current generation, so every later start
// trusted it. Now the save notices the catalog moved under it and rebuilds from the catalog.
#include <gtest/gtest.h>

#include <chrono>
#include <random>

#include "engine/engine.h"
#include "engine/ingest.h"
#include "folder_scan.h"
#include "governance/erasure.h"
#include "governance/governance.h"
#include "server/index_saver.h"
#include "testing/random_face.h"
#include "testing/test_env.h"

namespace likeness::redteam {
namespace {
namespace fs = std::filesystem;

class StaleServerSaveTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<engine::Engine> OpenEngine() {
    engine::EngineOptions options;
    options.data_dir = dir_.path() / "data";
    options.model_dir = *likeness::testing::ModelDir();
    options.index_factory = GetParam();
    auto e = engine::Engine::Open(options);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? std::move(*e) : nullptr;
  }
  std::vector<int64_t> Store(engine::Engine& e, int64_t source, int64_t batch, int n) {
    catalog::ImageRecord image;
    image.source_id = source;
    image.batch_id = batch;
    image.content_hash = std::to_string(next_++);
    image.content_hash.resize(64, 'b');
    image.path = "/synthetic/" + image.content_hash;
    image.format = "jpeg";
    std::vector<catalog::FaceRecord> rows;
    for (int i = 0; i < n; ++i) {
      rows.push_back(likeness::testing::RandomFace(rng_));
      rows.back().model_id = e.embedding_model_id();
    }
    EXPECT_TRUE(e.StoreImage(image, rows).ok());
    std::vector<int64_t> ids;
    for (const auto& r : rows) ids.push_back(r.id);
    return ids;
  }
  likeness::testing::TempDir dir_;
  std::mt19937 rng_{3};
  int next_ = 0;
};

TEST_P(StaleServerSaveTest, AnotherWritersErasureIsNotUndoneByTheServersNextSave) {
  ASSERT_TRUE(likeness::testing::ModelDir()) << "models missing: run scripts/setup";
  auto server = OpenEngine();
  ASSERT_NE(server, nullptr);
  auto source = engine::DeclareSource(server->catalog(), {.name = "s",
                                                          .legal_basis = "art6-1-e",
                                                          .art9_condition = "art9-2-g",
                                                          .jurisdiction = "DE",
                                                          .collector = "test"});
  ASSERT_TRUE(source.ok());
  auto batch = server->catalog().BeginBatch(source->id);
  ASSERT_TRUE(batch.ok());
  std::vector<int64_t> ids;
  for (int i = 0; i < 8; ++i) {
    for (int64_t id : Store(*server, source->id, *batch, 4)) ids.push_back(id);
  }
  ASSERT_TRUE(server->SaveIndex().ok());
  const int64_t x = ids[5];
  auto face = server->catalog().GetFace(x, true);
  ASSERT_TRUE(face.ok());
  const Embedding erased = face->embedding;

  {  // The other writer: its own engine and governance on the same folder.
    auto other = OpenEngine();
    ASSERT_NE(other, nullptr);
    auto gov = governance::Governance::Open(*other, "cli");
    ASSERT_TRUE(gov.ok());
    auto plan =
        governance::PlanErasure(**gov, {governance::EraseKind::kFace, std::to_string(x), {}});
    ASSERT_TRUE(plan.ok());
    ASSERT_TRUE(
        governance::ExecuteErasure(**gov, *plan, {"dpo", "erasure", "art6-1-c", "C-1"}).ok());
  }
  const fs::path data = dir_.path() / "data";
  ASSERT_TRUE(FilesContaining(data, Needles(erased, Form::kFp32)).empty());
  ASSERT_TRUE(server->index().Contains(x));  // the server's memory is behind the catalog

  // The server takes an upload and its saver writes the index.
  Store(*server, source->id, *batch, 2);
  {
    server::IndexSaver saver(*server, std::chrono::milliseconds(0), [](std::string_view) {});
    saver.MarkDirty();
    ASSERT_TRUE(saver.Flush().ok());
  }
  EXPECT_FALSE(server->index().Contains(x)) << "the save rebuilt from the catalog";
  EXPECT_TRUE(FilesContaining(data, Needles(erased, Form::kFp32)).empty())
      << "the erased vector was written back: " << ListFiles(data);
  auto reopened = OpenEngine();
  ASSERT_NE(reopened, nullptr);
  server.reset();
  EXPECT_FALSE(reopened->index().Contains(x));
  EXPECT_EQ(reopened->index().size(), static_cast<int64_t>(ids.size() - 1 + 2));
}

INSTANTIATE_TEST_SUITE_P(Kinds, StaleServerSaveTest, ::testing::Values("Flat", "HNSW16"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace likeness::redteam
