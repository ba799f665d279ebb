// Attacks through video uploads (POST /api/v1/sources/{id}/images with a video, issue 15), over
// real HTTP with the real models:
//   - another tenant's ingest key uploads a video into a source it does not own: refused exactly as
//     a source that does not exist, nothing decoded, stored or kept on disk;
//   - a video longer than the server accepts (--video-max-seconds) ties up no analyzer: refused
//     from its header before any frame is analysed, an error outcome, nothing kept;
//   - a person who opted out is put back through a video: the track of that person is dropped, the
//     search for them finds nothing in the uploaded video.
#include <gtest/gtest.h>

#include <filesystem>

#include "engine/engine.h"
#include "server_fixture.h"
#include "video_server_fixture.h"

namespace likeness::server::testing {
namespace {

namespace fs = std::filesystem;
using enum Role;

class VideoUploadAttackTest : public VideoServerTest {
 protected:
  void Start(ServerOptions options = {}) {
    ASSERT_NO_FATAL_FAILURE(StartServer(std::move(options), /*rival_tenant=*/true));
    video_ = ReadFile(WriteDemoSlideshow("clip.mp4"));
    source_id_ = DeclareFootage();
    ASSERT_NE(source_id_, 0);
  }

  httplib::Result Upload(const httplib::Headers& as, int64_t source_id) {
    return server_->Client()->Post(
        "/api/v1/sources/" + std::to_string(source_id) + "/images", as,
        httplib::MultipartFormDataItems{FilePart("images", video_, "clip.mp4")});
  }

  int64_t StoredImages() const {
    auto stats = engine_->catalog().Stats();
    EXPECT_TRUE(stats.ok());
    return stats.ok() ? stats->images : -1;
  }

  std::string video_;
  int64_t source_id_ = 0;
};

TEST_F(VideoUploadAttackTest, AnotherTenantCannotUploadAVideoIntoASourceItDoesNotOwn) {
  Start();
  auto rival = server_->server().keys().Create("rival-ingest", kIngest, "rival");
  ASSERT_TRUE(rival.ok()) << rival.status().ToString();
  const httplib::Headers as_rival = {{"Authorization", "Bearer " + rival->key}};
  auto theirs = Upload(as_rival, source_id_);
  auto missing = Upload(as_rival, 999999);
  ASSERT_TRUE(theirs && missing);
  EXPECT_EQ(theirs->status, 404) << theirs->body;
  EXPECT_EQ(theirs->status, missing->status);
  // The refusal does not tell the source exists: the same body as for an id that does not.
  EXPECT_EQ(ErrorCode(theirs), ErrorCode(missing));
  EXPECT_EQ(StoredImages(), 0);
  EXPECT_EQ(StoredCopies(), 0u);
}

TEST_F(VideoUploadAttackTest, AVideoLongerThanTheServerAcceptsIsRefusedBeforeAnalysis) {
  ServerOptions options;
  options.video_max_seconds = 3;  // the clip lasts 4 s
  Start(options);
  auto r = Upload(server_->Auth(kIngest), source_id_);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  const nlohmann::json j = Json(r);
  ASSERT_EQ(j["files"].size(), 1u);
  EXPECT_EQ(j["files"][0]["status"], "error");
  EXPECT_EQ(j["files"][0]["media"], "video");
  EXPECT_EQ(j["files"][0]["error"]["code"], "resource_exhausted") << j.dump();
  EXPECT_EQ(StoredImages(), 0);
  EXPECT_EQ(StoredCopies(), 0u);
}

TEST_F(VideoUploadAttackTest, AnOptedOutPersonDoesNotComeBackThroughAVideo) {
  Start();
  auto c = server_->Client();
  auto opted = c->Post("/api/v1/optouts", server_->Auth(kPrivacy),
                       Justified({FilePart("image", ReadFile(DemoPhoto(3))),
                                  TextPart("largest", "true"), TextPart("request_ref", "REQ-V1")}));
  ASSERT_TRUE(opted);
  ASSERT_EQ(opted->status, 201) << opted->body;

  auto r = Upload(server_->Auth(kIngest), source_id_);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Json(r)["files"][0]["status"], "stored");  // sample2's people are kept

  auto searched =
      c->Post("/api/v1/search", server_->Auth(kSearch),
              Justified({FilePart("image", ReadFile(DemoPhoto(3))), TextPart("largest", "true")}));
  ASSERT_TRUE(searched);
  ASSERT_EQ(searched->status, 200) << searched->body;
  const nlohmann::json j = Json(searched);
  ASSERT_FALSE(j["faces"].empty());
  EXPECT_NE(j["faces"][0]["decision"], "match") << j.dump();
  for (const auto& m : j["faces"][0]["matches"]) {
    EXPECT_FALSE(m.value("match", false)) << "the opted-out person was stored: " << m.dump();
  }
}

}  // namespace
}  // namespace likeness::server::testing
