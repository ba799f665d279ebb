// The public self-check over HTTP: a challenge bound to a single-use nonce; a still photo sent as
// a capture, a replayed capture and a malformed one get no result; a live-looking ORL head-turn
// sequence (when the dev set is present) gets the answer (and, when held, a receipt for one erasure
// or opt-out request, which lands in the audit chain); and the selfcheck role's strict per-address
// limit. The attacks on it are in tests/redteam/selfcheck/.
#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

#include "server_fixture.h"
#include "testing/camera_frame.h"

namespace likeness::server::testing {
namespace {
namespace fs = std::filesystem;

class SelfCheckApiTest : public ServerTest {};

nlohmann::json NewChallenge(httplib::Client& c, const httplib::Headers& auth) {
  auto r = c.Post("/api/v1/selfcheck/challenge", auth, "", "application/json");
  EXPECT_TRUE(r);
  if (!r) return {};
  EXPECT_EQ(r->status, 201) << r->body;
  return Json(r);
}

httplib::Result Submit(httplib::Client& c, const httplib::Headers& auth, const std::string& nonce,
                       const std::vector<std::string>& frames) {
  httplib::MultipartFormDataItems items = {TextPart("nonce", nonce)};
  for (size_t i = 0; i < frames.size(); ++i) {
    items.push_back(
        FilePart("frame", AsPreviewFrame(frames[i]), "frame" + std::to_string(i) + ".jpg"));
  }
  return c.Post("/api/v1/selfcheck/submit", auth, items);
}

TEST_F(SelfCheckApiTest, ChallengeIsRandomKindWithNonce) {
  auto c = Client();
  const auto ch = NewChallenge(*c, Auth(Role::kSelfCheck));
  EXPECT_EQ(ch["nonce"].get<std::string>().size(), 32u);
  const std::string kind = ch["challenge"];
  EXPECT_TRUE(kind == "turn-left" || kind == "turn-right" || kind == "blink") << kind;
  EXPECT_FALSE(ch["instructions"].get<std::string>().empty());
  EXPECT_NE(NewChallenge(*c, Auth(Role::kSelfCheck))["nonce"], ch["nonce"]);
}

TEST_F(SelfCheckApiTest, AStillPhotoGetsNoResultAndTheNonceIsSpent) {
  auto c = Client();
  const auto auth = Auth(Role::kSelfCheck);
  const std::string photo = ReadFile(DemoPhoto(1));
  const std::string nonce = NewChallenge(*c, auth)["nonce"];
  auto r = Submit(*c, auth, nonce, std::vector<std::string>(6, photo));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422) << r->body;
  EXPECT_EQ(ErrorCode(r), "selfcheck_failed");
  EXPECT_FALSE(Json(r).contains("sources"));
  EXPECT_FALSE(Json(r).contains("receipt"));
  // Single use, whatever the outcome.
  auto again = Submit(*c, auth, nonce, std::vector<std::string>(6, ReadFile(DemoPhoto(3))));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 409);
  // Unknown nonce.
  auto unknown = Submit(*c, auth, std::string(32, '0'), std::vector<std::string>(6, photo));
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 409);
}

TEST_F(SelfCheckApiTest, DistinctPhotosOfDifferentPeopleAndReplaysAreRefused) {
  auto c = Client();
  const auto auth = Auth(Role::kSelfCheck);
  std::vector<std::string> frames;
  for (int i : {2, 3, 4, 5, 6}) frames.push_back(ReadFile(DemoPhoto(i)));
  auto r = Submit(*c, auth, NewChallenge(*c, auth)["nonce"], frames);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422) << r->body;
  // The same capture again (a replay) is refused before any analysis.
  auto replay = Submit(*c, auth, NewChallenge(*c, auth)["nonce"], frames);
  ASSERT_TRUE(replay);
  EXPECT_EQ(replay->status, 422);
  EXPECT_EQ(ErrorCode(replay), "selfcheck_failed");
  // Too few frames.
  auto few = Submit(*c, auth, NewChallenge(*c, auth)["nonce"], {frames[0], frames[1]});
  ASSERT_TRUE(few);
  EXPECT_EQ(few->status, 400);
  // Not an image.
  auto junk = Submit(*c, auth, NewChallenge(*c, auth)["nonce"],
                     std::vector<std::string>(5, std::string("not an image")));
  ASSERT_TRUE(junk);
  EXPECT_EQ(junk->status / 100, 4);
}

// Camera-like frames of ORL s39 facing the camera, then turning to their left (see
// tests/integration/governance/selfcheck_liveness_test.cc).
std::vector<std::string> OrlTurnLeft(const fs::path& orl) {
  std::mt19937 rng(7);
  std::vector<std::string> out;
  for (int i : {5, 9, 5, 9, 2, 8, 7, 8}) {
    cv::Mat grey =
        cv::imread((orl / "s39" / (std::to_string(i) + ".pgm")).string(), cv::IMREAD_GRAYSCALE);
    if (grey.empty()) return {};
    const std::vector<uint8_t> jpeg = likeness::testing::CameraLikeJpeg(grey, rng);
    out.emplace_back(jpeg.begin(), jpeg.end());
  }
  return out;
}

TEST_F(SelfCheckApiTest, ALiveHeadTurnGetsTheReportAndOneRequest) {
  auto dev = likeness::testing::FacesDevDir();
  if (!dev || !fs::exists(*dev / "orl")) GTEST_SKIP() << "faces-dev/orl not present";
  const auto frames = OrlTurnLeft(*dev / "orl");
  ASSERT_EQ(frames.size(), 8u);
  ServerOptions o;
  o.selfcheck_challenges = "turn-left";
  o.selfcheck_per_address = {50, 200};
  TestServer s(Engine(), o);
  ASSERT_TRUE(s.ok());
  auto c = s.Client();
  c->set_read_timeout(120);
  const auto auth = s.Auth(Role::kSelfCheck);
  const auto ch = NewChallenge(*c, auth);
  ASSERT_EQ(ch["challenge"], "turn-left");
  auto r = Submit(*c, auth, ch["nonce"], frames);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const auto report = Json(r);
  EXPECT_TRUE(report["passed"].get<bool>());
  EXPECT_TRUE(report.contains("held"));
  EXPECT_TRUE(report["sources"].is_array());
  EXPECT_EQ(report.dump().find("image_url"), std::string::npos);  // no images, ever
  EXPECT_EQ(report.dump().find("crop_url"), std::string::npos);
  // Nothing of the demo catalog is this person: no receipt is issued for "not held".
  if (!report["held"].get<bool>()) {
    EXPECT_FALSE(report.contains("receipt"));
    return;
  }
  const std::string receipt = report["receipt"];
  auto req =
      c->Post("/api/v1/selfcheck/requests", auth,
              nlohmann::json{{"receipt", receipt}, {"kind", "optout"}}.dump(), "application/json");
  ASSERT_TRUE(req);
  EXPECT_EQ(req->status, 201) << req->body;
  EXPECT_EQ(Json(req)["reference"], report["reference"]);
  auto twice =
      c->Post("/api/v1/selfcheck/requests", auth,
              nlohmann::json{{"receipt", receipt}, {"kind", "erasure"}}.dump(), "application/json");
  ASSERT_TRUE(twice);
  EXPECT_EQ(twice->status, 409);
  auto audit = c->Get("/api/v1/audit?limit=20", s.Auth(Role::kAuditor));
  ASSERT_TRUE(audit);
  EXPECT_NE(audit->body.find("selfcheck_request"), std::string::npos);
}

TEST_F(SelfCheckApiTest, TheDefaultPerAddressLimitIsStrict) {
  TestServer s(Engine());
  ASSERT_TRUE(s.ok());
  auto c = s.Client();
  const auto auth = s.Auth(Role::kSelfCheck);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(c->Post("/api/v1/selfcheck/challenge", auth, "", "application/json")->status, 201);
  }
  auto limited = c->Post("/api/v1/selfcheck/challenge", auth, "", "application/json");
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->status, 429);
}

}  // namespace
}  // namespace likeness::server::testing
