// Attacks on the video routes (issue 15), over real HTTP with the real models:
//   - GET /api/v1/videos/{id} and the frame route (/api/v1/images/{id}?t=) reveal a video (and so
//     every face in it) only to the roles that may see photos (admin, search, privacy) of the
//     tenant that holds it: no key 401, ingest/auditor/self-check keys 403, another tenant 404
//     exactly like an id that does not exist;
//   - what is served is a copy without the container's metadata (the original's muxer stamp is
//     absent), and never a file that no longer matches the recorded hash (a video swapped on disk
//     after ingest is refused, not served);
//   - a malformed t is refused; search results carry the moment and the URLs that reach it.
#include <gtest/gtest.h>

#include <filesystem>

#include "engine/engine.h"
#include "engine/ingest.h"
#include "server_fixture.h"
#include "sources/sources.h"
#include "video_server_fixture.h"
#include "videoio/video_decoder.h"

namespace likeness::server::testing {
namespace {

namespace fs = std::filesystem;
using enum Role;

class VideoMediaTest : public VideoServerTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartServer({}, /*rival_tenant=*/true));
    auto rival = server_->server().keys().Create("rival-search", kSearch, "rival");
    ASSERT_TRUE(rival.ok()) << rival.status().ToString();
    rival_key_ = rival->key;

    video_ = WriteDemoSlideshow("interview.mp4");
    engine::SourceDeclaration d{.name = "footage",
                                .legal_basis = "art6-1-e",
                                .art9_condition = "art9-2-g",
                                .jurisdiction = "DE",
                                .collector = "test"};
    auto source = engine::DeclareSource(engine_->catalog(), d);
    ASSERT_TRUE(source.ok());
    auto summary = engine::Ingest(*engine_, *source, std::vector<fs::path>{video_}, {.jobs = 1});
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    ASSERT_EQ(summary->totals.images, 1);
    ASSERT_GT(summary->totals.faces, 0);
    video_id_ = 1;
  }

  httplib::Headers As(Role role) { return server_->Auth(role); }
  std::string Path() const { return "/api/v1/videos/" + std::to_string(video_id_); }

  // The best match a purpose-bound search by `role` for the person of the second slide returned
  // (video_url, the frame's image_url and crop_url carry the media tokens the routes require).
  nlohmann::json SearchedMatch(Role role) {
    auto c = server_->Client();
    auto r = c->Post(
        "/api/v1/search", As(role),
        Justified({FilePart("image", ReadFile(DemoPhoto(3))), TextPart("largest", "true")}));
    if (!r || r->status != 200) return nlohmann::json::object();
    const nlohmann::json j = Json(r);
    if (j["faces"].empty() || j["faces"][0]["matches"].empty()) return nlohmann::json::object();
    return j["faces"][0]["matches"][0];
  }

  // `path` with the media token an audited read by `role` was granted for the video (a search, or
  // for a privacy officer the subject access report): a video plays with its image's token.
  std::string WithToken(Role role, const std::string& path) {
    std::string granted;
    if (role == kPrivacy) {
      auto c = server_->Client();
      auto r = c->Post(
          "/api/v1/access", As(role),
          Justified({FilePart("image", ReadFile(DemoPhoto(3))), TextPart("largest", "true")}));
      if (r && r->status == 200) {
        const nlohmann::json j = Json(r);
        if (!j["faces"].empty()) granted = j["faces"][0].value("image_url", "");
      }
    } else {
      granted = SearchedMatch(role).value("video_url", "");
    }
    const size_t at = granted.find("token=");
    if (at == std::string::npos) return path;
    std::string token = granted.substr(at + 6);
    token = token.substr(0, token.find('&'));
    return path + (path.find('?') == std::string::npos ? "?" : "&") + "token=" + token;
  }

  std::string rival_key_;
  fs::path video_;
  int64_t video_id_ = 0;
};

TEST_F(VideoMediaTest, OnlyRolesThatSeePhotosOfTheOwningTenantGetTheVideo) {
  auto c = server_->Client();
  auto anonymous = c->Get(Path());
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  for (Role role : {kIngest, kAuditor, kSelfCheck}) {
    SCOPED_TRACE(RoleName(role));
    for (const std::string& path :
         std::vector<std::string>{Path(), "/api/v1/images/" + std::to_string(video_id_) + "?t=1"}) {
      auto r = c->Get(path, As(role));
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, 403);
      EXPECT_EQ(r->body.find("ftyp"), std::string::npos);
    }
  }
  // Another tenant without a media token (only a search that returned the video gives one): the
  // same refusal, byte for byte, as for an id that does not exist (tests/redteam/access/).
  const httplib::Headers rival = {{"Authorization", "Bearer " + rival_key_}};
  auto theirs = c->Get(Path(), rival);
  auto missing = c->Get("/api/v1/videos/999999", rival);
  ASSERT_TRUE(theirs && missing);
  EXPECT_EQ(theirs->status, 403);
  EXPECT_EQ(missing->status, 403);
  EXPECT_EQ(theirs->body, missing->body);
  auto frame = c->Get("/api/v1/images/" + std::to_string(video_id_) + "?t=1", rival);
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->status, 403);

  for (Role role : {kAdmin, kSearch, kPrivacy}) {
    SCOPED_TRACE(RoleName(role));
    auto r = c->Get(WithToken(role, Path()), As(role));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "video/mp4");
    EXPECT_EQ(r->get_header_value("Cache-Control"), "no-store");
  }
}

TEST_F(VideoMediaTest, TheServedCopyCarriesNoMetadataAndSeeks) {
  auto c = server_->Client();
  const std::string granted = WithToken(kSearch, Path());
  auto r = c->Get(granted, As(kSearch));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  const std::string original = ReadFile(video_);
  ASSERT_NE(original.find("Lavf"), std::string::npos) << "the OpenCV writer no longer stamps it";
  EXPECT_EQ(r->body.find("Lavf"), std::string::npos) << "the container's metadata was served";
  EXPECT_NE(r->body, original);
  const std::vector<uint8_t> bytes(r->body.begin(), r->body.end());
  auto decoder = videoio::VideoDecoder::OpenMemory(bytes);
  ASSERT_TRUE(decoder.ok()) << decoder.status().ToString();
  EXPECT_EQ((*decoder)->info().width, 640);

  httplib::Headers ranged = As(kSearch);
  ranged.emplace("Range", "bytes=0-99");
  auto part = c->Get(granted, ranged);
  ASSERT_TRUE(part);
  EXPECT_EQ(part->status, 206);
  EXPECT_EQ(part->body.size(), 100u);
  EXPECT_EQ(part->body, r->body.substr(0, 100));
  EXPECT_EQ(part->get_header_value("Content-Range"),
            "bytes 0-99/" + std::to_string(r->body.size()));
}

TEST_F(VideoMediaTest, AVideoSwappedOnDiskIsNotServed) {
  // Same path, other content (another slideshow): the recorded hash no longer matches.
  likeness::testing::SlideshowOptions o;
  o.width = 640;
  o.height = 360;
  const nlohmann::json match = SearchedMatch(kSearch);  // tokens granted before the swap
  ASSERT_TRUE(match.contains("video_url")) << match.dump();
  ASSERT_EQ(likeness::testing::WriteSlideshow({DemoPhoto(4)}, video_, o), "");
  auto c = server_->Client();
  for (const std::string& path : std::vector<std::string>{match["video_url"].get<std::string>(),
                                                          match["image_url"].get<std::string>(),
                                                          match["crop_url"].get<std::string>()}) {
    SCOPED_TRACE(path);
    auto r = c->Get(path, As(kSearch));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 500);
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  }
}

TEST_F(VideoMediaTest, SearchResultsLeadToTheMoment) {
  auto c = server_->Client();
  auto bad = c->Get(WithToken(kSearch, "/api/v1/images/" + std::to_string(video_id_) + "?t=abc"),
                    As(kSearch));
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  auto negative = c->Get(
      WithToken(kSearch, "/api/v1/images/" + std::to_string(video_id_) + "?t=-1"), As(kSearch));
  ASSERT_TRUE(negative);
  EXPECT_EQ(negative->status, 400);
  auto late = c->Get(WithToken(kSearch, "/api/v1/images/" + std::to_string(video_id_) + "?t=1e9"),
                     As(kSearch));
  ASSERT_TRUE(late);
  EXPECT_EQ(late->status, 200);  // clamped to the last frame
  EXPECT_EQ(late->get_header_value("Content-Type"), "image/jpeg");

  auto r =
      c->Post("/api/v1/search", As(kSearch),
              Justified({FilePart("image", ReadFile(DemoPhoto(3))), TextPart("largest", "true")}));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const nlohmann::json j = Json(r);
  ASSERT_FALSE(j["faces"].empty());
  ASSERT_FALSE(j["faces"][0]["matches"].empty());
  const nlohmann::json best = j["faces"][0]["matches"][0];
  EXPECT_EQ(best["media"], "video");
  EXPECT_TRUE(best["match"].get<bool>());
  // sample3 is the second slide (2 s each).
  EXPECT_GE(best["time_offset_s"].get<double>(), 2.0 - 0.01);
  EXPECT_LT(best["time_offset_s"].get<double>(), 4.0);
  EXPECT_LE(best["track_first_s"].get<double>(), best["time_offset_s"].get<double>());
  EXPECT_GE(best["track_last_s"].get<double>(), best["time_offset_s"].get<double>());
  EXPECT_TRUE(best["video_url"].get<std::string>().starts_with(Path() + "?token="))
      << best["video_url"];
  const std::string frame_url = best["image_url"];
  EXPECT_TRUE(frame_url.find("&t=") != std::string::npos) << frame_url;  // ?token=…&t=…
  auto frame = c->Get(frame_url, As(kSearch));
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->status, 200);
  EXPECT_EQ(frame->get_header_value("Content-Type"), "image/jpeg");
  auto crop = c->Get(best["crop_url"].get<std::string>(), As(kSearch));
  ASSERT_TRUE(crop);
  EXPECT_EQ(crop->status, 200);
}

}  // namespace
}  // namespace likeness::server::testing
