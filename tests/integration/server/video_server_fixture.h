// The shared start of the video API tests (uploads, the video routes and their attacks): a fresh
// data folder with the pinned models, a real server on a loopback port, the test slideshow of the
// demo photos, and the "footage" source those tests upload into.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "engine/engine.h"
#include "server_fixture.h"
#include "testing/video_maker.h"

namespace likeness::server::testing {

class VideoServerTest : public ::testing::Test {
 protected:
  // Opens the engine over <temp>/data and serves it with `options`; with `rival_tenant`, tenant
  // "rival" exists too. Call under ASSERT_NO_FATAL_FAILURE.
  void StartServer(ServerOptions options = {}, bool rival_tenant = false) {
    ASSERT_TRUE(likeness::testing::ModelDir() && likeness::testing::DemoPhotoDir())
        << "models or demo photos missing: run scripts/setup";
    engine::EngineOptions eo;
    eo.data_dir = dir_.path() / "data";
    eo.model_dir = *likeness::testing::ModelDir();
    auto e = engine::Engine::Open(eo);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(*e);
    if (rival_tenant) {
      ASSERT_TRUE(engine_->catalog().CreateTenant("rival").ok());
    }
    server_ = std::make_unique<TestServer>(*engine_, std::move(options));
    ASSERT_TRUE(server_->ok());
  }

  // Writes the test video, sample2 then sample3 (2 s each, 640x360), to <temp>/`name`.
  std::filesystem::path WriteDemoSlideshow(const std::string& name) {
    const std::filesystem::path video = dir_.path() / name;
    likeness::testing::SlideshowOptions o;
    o.width = 640;
    o.height = 360;
    EXPECT_EQ(likeness::testing::WriteSlideshow({DemoPhoto(2), DemoPhoto(3)}, video, o), "");
    return video;
  }

  // Declares source "footage" through the API with the ingest key; its id, or 0 on failure.
  int64_t DeclareFootage() {
    auto declared = server_->Client()->Post("/api/v1/sources", server_->Auth(Role::kIngest),
                                            nlohmann::json{{"name", "footage"},
                                                           {"legal_basis", "art6-1-e"},
                                                           {"art9_condition", "art9-2-g"},
                                                           {"jurisdiction", "DE"}}
                                                .dump(),
                                            "application/json");
    EXPECT_TRUE(declared);
    if (!declared) return 0;
    EXPECT_EQ(declared->status, 201) << declared->body;
    return declared->status == 201 ? Json(declared)["id"].get<int64_t>() : 0;
  }

  // Files under <data>/uploads (the stored copies).
  size_t StoredCopies() const {
    size_t n = 0;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(
             engine_->options().data_dir / "uploads", ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file()) ++n;
    }
    return n;
  }

  likeness::testing::TempDir dir_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<TestServer> server_;
};

}  // namespace likeness::server::testing
