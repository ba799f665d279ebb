// Uploads do not rewrite the index file per request (IndexSaver): the file is saved after the
// delay or when the server stops, and a server that stops gracefully leaves an index the next
// open loads as it is (no rebuild); one that did not get to save leaves a file the next open sees
// is stale and rebuilds, finding every committed face.
#include "server/index_saver.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "server_fixture.h"

namespace likeness::server::testing {
namespace {
namespace fs = std::filesystem;

class IndexSaverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(likeness::testing::ModelDir()) << "models missing: run scripts/setup";
    options_.data_dir = dir_.path() / "data";
    options_.model_dir = *likeness::testing::ModelDir();
  }
  // Opens the engine; `rebuilt` says whether the index had to be rebuilt from the catalog.
  std::unique_ptr<engine::Engine> Open(bool* rebuilt) {
    *rebuilt = false;
    auto e = engine::Engine::Open(options_, [rebuilt](int64_t, int64_t) { *rebuilt = true; });
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? std::move(*e) : nullptr;
  }
  // Declares a source and uploads sample2 and sample3 through the API; returns the faces stored.
  int64_t Upload(TestServer& srv) {
    auto c = srv.Client();
    const nlohmann::json source = {
        {"name", "uploads"}, {"legal_basis", "art6-1-e,art9-2-g"}, {"jurisdiction", "DE"}};
    auto made =
        c->Post("/api/v1/sources", srv.Auth(Role::kIngest), source.dump(), "application/json");
    EXPECT_TRUE(made && made->status == 201) << (made ? made->body : "no reply");
    const int64_t id = nlohmann::json::parse(made->body).at("id").get<int64_t>();
    const httplib::MultipartFormDataItems photos = {FilePart("images", ReadFile(DemoPhoto(2))),
                                                    FilePart("images", ReadFile(DemoPhoto(3)))};
    auto up = c->Post("/api/v1/sources/" + std::to_string(id) + "/images", srv.Auth(Role::kIngest),
                      photos);
    EXPECT_TRUE(up && up->status == 200) << (up ? up->body : "no reply");
    return nlohmann::json::parse(up->body).at("faces").get<int64_t>();
  }

  likeness::testing::TempDir dir_;
  engine::EngineOptions options_;
};

TEST_F(IndexSaverTest, UploadsAreSavedAtStopNotPerRequest) {
  bool rebuilt = false;
  auto engine = Open(&rebuilt);
  ASSERT_TRUE(engine);
  ASSERT_TRUE(engine->SaveIndex().ok());
  const auto before = fs::last_write_time(engine->index_path());
  int64_t faces = 0;
  {
    ServerOptions so;
    so.index_save_delay = std::chrono::hours(1);  // only the stop saves
    TestServer srv(*engine, so);
    ASSERT_TRUE(srv.ok());
    faces = Upload(srv);
    ASSERT_GT(faces, 0);
    EXPECT_EQ(fs::last_write_time(engine->index_path()), before) << "saved per request";
  }  // graceful stop: the saver writes the index once
  EXPECT_NE(fs::last_write_time(engine->index_path()), before);
  engine.reset();
  auto reopened = Open(&rebuilt);
  ASSERT_TRUE(reopened);
  EXPECT_FALSE(rebuilt) << "a graceful stop must leave a current index";
  EXPECT_EQ(reopened->index().size(), faces);
}

TEST_F(IndexSaverTest, AnUnsavedIndexIsRebuiltWithEveryCommittedFace) {
  bool rebuilt = false;
  auto engine = Open(&rebuilt);
  ASSERT_TRUE(engine);
  ASSERT_TRUE(engine->SaveIndex().ok());
  const fs::path index = engine->index_path();
  const fs::path old_copy = dir_.path() / "old.lkidx";
  fs::copy_file(index, old_copy);
  int64_t faces = 0;
  {
    TestServer srv(*engine);
    ASSERT_TRUE(srv.ok());
    faces = Upload(srv);
  }
  engine.reset();
  // As if the process died before the save: the file on disk predates the uploads.
  fs::copy_file(old_copy, index, fs::copy_options::overwrite_existing);
  auto reopened = Open(&rebuilt);
  ASSERT_TRUE(reopened);
  EXPECT_TRUE(rebuilt) << "a stale index file must be noticed";
  EXPECT_EQ(reopened->index().size(), faces);
}

TEST(IndexSaverUnitTest, MarksWithinOneDelayShareOneSave) {
  ASSERT_TRUE(likeness::testing::ModelDir()) << "models missing: run scripts/setup";
  likeness::testing::TempDir dir;
  engine::EngineOptions options;
  options.data_dir = dir.path() / "data";
  options.model_dir = *likeness::testing::ModelDir();
  auto engine = engine::Engine::Open(options);
  ASSERT_TRUE(engine.ok());
  ASSERT_TRUE((*engine)->SaveIndex().ok());
  const auto before = fs::last_write_time((*engine)->index_path());
  {
    IndexSaver saver(**engine, std::chrono::milliseconds(200), [](std::string_view) {});
    for (int i = 0; i < 50; ++i) saver.MarkDirty();
    EXPECT_EQ(fs::last_write_time((*engine)->index_path()), before);  // not yet: within the delay
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    EXPECT_NE(fs::last_write_time((*engine)->index_path()), before);  // saved by the thread
    EXPECT_TRUE(saver.Flush().ok());                                  // nothing pending: no-op
  }
}

}  // namespace
}  // namespace likeness::server::testing
