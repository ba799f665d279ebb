// Attack: use the public self-check, holding only the public kiosk key, as a face-lookup or 1:1
// comparison service (docs/PRIVACY.md, "Public self-check: threat model"). Claims tested:
//  - every failed check answers the same body (only that it failed, advice, a reference): no
//    score, angle or similarity, nothing telling "not live" from "not the same face";
//  - a challenge nonce is single use and short lived;
//  - frames above 1 MP are refused from their header, before decoding;
//  - every attempt, passed or failed, is audited under the kiosk's own tenant with the capture
//    hash (never a frame), the outcome and the request reference; another tenant never sees it;
//  - a passed remote check answers only "held" and, per source, its public description and legal
//    basis categories; the full report goes only to the privacy officer for the reference (after
//    verifying the requester; audited) or to an attended kiosk bound to its device secret.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <regex>

#include "attack_frames.h"
#include "common/hash.h"
#include "engine/ingest.h"
#include "integration/server/server_fixture.h"
#include "server/api_keys.h"

namespace likeness::server::testing {
namespace {
namespace fs = std::filesystem;
using redteam::Attack;

constexpr const char* kTenant = "museum";
constexpr const char* kOtherTenant = "gallery";
constexpr const char* kPublicDescription = "Visitor photos from the museum's 2025 open day.";
// Words a score, angle or similarity would be sent under.
constexpr const char* kLeaky[] = {"score",   "yaw",    "sweep", "same_face", "live_",
                                  "similar", "cosine", "angle", "threshold", "distance"};

std::string Bytes(const std::vector<uint8_t>& v) { return std::string(v.begin(), v.end()); }

std::string CaptureHash(const std::vector<std::string>& frames) {
  std::string all;
  for (const auto& f : frames) {
    all += Sha256Hex({reinterpret_cast<const uint8_t*>(f.data()), f.size()});
  }
  return Sha256Hex({reinterpret_cast<const uint8_t*>(all.data()), all.size()});
}

class SelfCheckAnswerAttack : public ServerTest {
 protected:
  static void SetUpTestSuite() {
    ServerTest::SetUpTestSuite();
    for (const char* t : {kTenant, kOtherTenant}) (void)Engine().catalog().CreateTenant(t);
  }

  // A server of its own with the kiosk's address limits out of the way (tested elsewhere).
  struct Kiosk {
    std::unique_ptr<TestServer> server;
    httplib::Headers kiosk, officer, auditor, other_auditor;
  };
  static Kiosk MakeKiosk(ServerOptions o = {}) {
    o.selfcheck_per_address = {50, 200};
    o.selfcheck_per_key = {50, 200};
    o.selfcheck_challenges_per_address_hour = 0;
    Kiosk k;
    k.server = std::make_unique<TestServer>(Engine(), o);
    const std::string suffix = std::to_string(k.server->port());
    auto& keys = k.server->server().keys();
    const auto bearer = [](const Result<NewApiKey>& made) {
      EXPECT_TRUE(made.ok()) << made.status().ToString();
      return httplib::Headers{{"Authorization", "Bearer " + (made.ok() ? made->key : "")}};
    };
    k.kiosk = bearer(keys.Create("kiosk-" + suffix, Role::kSelfCheck, kTenant));
    k.officer = bearer(keys.Create("officer-" + suffix, Role::kPrivacy, kTenant));
    k.auditor = bearer(keys.Create("auditor-" + suffix, Role::kAuditor, kTenant));
    k.other_auditor = bearer(keys.Create("other-" + suffix, Role::kAuditor, kOtherTenant));
    return k;
  }

  static nlohmann::json Challenge(httplib::Client& c, const httplib::Headers& auth) {
    auto r = c.Post("/api/v1/selfcheck/challenge", auth, "", "application/json");
    EXPECT_TRUE(r && r->status == 201) << (r ? r->body : "no reply");
    return r ? Json(r) : nlohmann::json();
  }

  static httplib::Result Submit(httplib::Client& c, const httplib::Headers& auth,
                                const std::string& nonce, const std::vector<std::string>& frames) {
    httplib::MultipartFormDataItems items = {TextPart("nonce", nonce)};
    for (size_t i = 0; i < frames.size(); ++i) {
      items.push_back(FilePart("frame", frames[i], "f" + std::to_string(i) + ".jpg"));
    }
    return c.Post("/api/v1/selfcheck/submit", auth, items);
  }

  static std::vector<std::string> Attack(Attack a, int face = 0) {
    static const std::vector<redteam::Still> stills = redteam::AttackStills(Engine(), 0);
    EXPECT_GT(stills.size(), static_cast<size_t>(face));
    std::vector<std::string> out;
    for (const auto& f : redteam::AttackSequence(stills.at(face), a)) out.push_back(Bytes(f));
    return out;
  }
};

TEST_F(SelfCheckAnswerAttack, EveryFailureAnswersTheSameBodyWithoutAnyScore) {
  Kiosk k = MakeKiosk();
  auto c = k.server->Client();
  std::vector<std::pair<std::string, std::vector<std::string>>> attempts = {
      {"shifted still", Attack(Attack::kShift)},
      {"mirrored still", Attack(Attack::kMirror)},
      {"painted blink", Attack(Attack::kEyeBand)},
      {"perspective turn", Attack(Attack::kPerspectiveTurn)}};
  std::vector<std::string> people;  // different people: a "not the same face" failure
  for (int i : {2, 3, 4, 5, 6}) {
    const std::string photo = ReadFile(DemoPhoto(i));
    cv::Mat img = cv::imdecode(std::vector<uint8_t>(photo.begin(), photo.end()), cv::IMREAD_COLOR);
    cv::Mat small;  // under the 1 MP limit, which is tested on its own
    cv::resize(img, small, cv::Size(640, 640 * img.rows / img.cols), 0, 0, cv::INTER_AREA);
    people.push_back(Bytes(redteam::Jpeg(small)));
  }
  attempts.push_back({"different people", people});
  attempts.push_back({"replay", people});
  cv::Mat blank(480, 640, CV_8UC3, cv::Scalar(90, 90, 90));
  std::vector<std::string> no_face;
  for (int q = 80; q < 86; ++q) no_face.push_back(Bytes(redteam::Jpeg(blank, q)));
  attempts.push_back({"no face", no_face});

  std::string first_body;
  const std::regex reference("sc-[0-9a-f]{16}");
  for (const auto& [what, frames] : attempts) {
    auto r = Submit(*c, k.kiosk, Challenge(*c, k.kiosk)["nonce"], frames);
    ASSERT_TRUE(r) << what;
    EXPECT_EQ(r->status, 422) << what << ": " << r->body;
    nlohmann::json body = Json(r);
    ASSERT_TRUE(body.contains("reference")) << what;
    EXPECT_TRUE(std::regex_match(body["reference"].get<std::string>(), reference)) << what;
    body.erase("reference");  // random per attempt
    if (first_body.empty()) first_body = body.dump();
    EXPECT_EQ(body.dump(), first_body) << what << " is distinguishable from the first failure";
    for (const char* word : kLeaky) {
      EXPECT_EQ(r->body.find(word), std::string::npos) << what << " carries '" << word << "'";
    }
  }
}

TEST_F(SelfCheckAnswerAttack, ANonceIsSingleUseAndShortLived) {
  ServerOptions o;
  o.selfcheck_challenge_ttl = std::chrono::seconds(1);
  Kiosk k = MakeKiosk(o);
  auto c = k.server->Client();
  const auto frames = Attack(Attack::kShift);
  const std::string nonce = Challenge(*c, k.kiosk)["nonce"];
  ASSERT_EQ(Submit(*c, k.kiosk, nonce, frames)->status, 422);
  auto reused = Submit(*c, k.kiosk, nonce, Attack(Attack::kJpegReencode));
  ASSERT_TRUE(reused);
  EXPECT_EQ(reused->status, 409) << reused->body;
  const std::string stale = Challenge(*c, k.kiosk)["nonce"];
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  auto late = Submit(*c, k.kiosk, stale, Attack(Attack::kJpegReencode));
  ASSERT_TRUE(late);
  EXPECT_EQ(late->status, 409) << late->body;
  auto forged = Submit(*c, k.kiosk, std::string(32, 'a'), Attack(Attack::kJpegReencode));
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 409);
}

TEST_F(SelfCheckAnswerAttack, FramesAboveOneMegapixelAreRefusedBeforeDecoding) {
  Kiosk k = MakeKiosk();
  auto c = k.server->Client();
  cv::Mat big(1000, 1001, CV_8UC3, cv::Scalar(0, 0, 0));  // 1,001,000 pixels
  const std::string jpeg = Bytes(redteam::Jpeg(big));
  // Only the header: a decoder would fail on it, so a 413 shows the header alone decided.
  const std::string header_only = jpeg.substr(0, 700);
  for (const std::string& frame : {jpeg, header_only}) {
    std::vector<std::string> frames = Attack(Attack::kShift);
    frames[2] = frame;
    auto r = Submit(*c, k.kiosk, Challenge(*c, k.kiosk)["nonce"], frames);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413) << r->body;
  }
}

TEST_F(SelfCheckAnswerAttack, EveryAttemptIsAuditedUnderTheKiosksTenantWithTheCaptureHash) {
  Kiosk k = MakeKiosk();
  auto c = k.server->Client();
  const auto frames = Attack(Attack::kMirror, 1);
  auto r = Submit(*c, k.kiosk, Challenge(*c, k.kiosk)["nonce"], frames);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 422);
  const std::string reference = Json(r)["reference"];
  auto audit = c->Get("/api/v1/audit?action=selfcheck&limit=200", k.auditor);
  ASSERT_TRUE(audit);
  ASSERT_EQ(audit->status, 200) << audit->body;
  bool found = false;
  const nlohmann::json entries = Json(audit)["entries"];
  for (const auto& e : entries) {
    if (e["case_ref"] != reference) continue;
    found = true;
    const auto d = e["details"].is_string() ? nlohmann::json::parse(e["details"].get<std::string>())
                                            : e["details"];
    EXPECT_EQ(d["tenant"], kTenant);
    EXPECT_EQ(d["outcome"], "refused");
    EXPECT_EQ(d["reference"], reference);
    EXPECT_EQ(d["capture_sha256"], CaptureHash(frames));
    EXPECT_EQ(e["probe_hash"], CaptureHash(frames));
    EXPECT_LT(e.dump().size(), 2000u) << "the record holds more than hashes";
  }
  EXPECT_TRUE(found) << "no audit record under the kiosk's tenant for " << reference;
  auto other = c->Get("/api/v1/audit?action=selfcheck&limit=200", k.other_auditor);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->body.find(reference), std::string::npos) << "another tenant sees the attempt";
}

// Camera-like frames of ORL s39 facing the camera, then turning to their left: the legitimate
// capture the browser test also sends.
std::vector<std::string> OrlTurnLeft(const fs::path& orl) {
  std::vector<std::string> out;
  uint32_t seed = 1;
  for (int i : {5, 9, 5, 9, 2, 8, 7, 8}) {
    cv::Mat grey =
        cv::imread((orl / "s39" / (std::to_string(i) + ".pgm")).string(), cv::IMREAD_GRAYSCALE);
    if (grey.empty()) return {};
    out.push_back(Bytes(redteam::Jpeg(redteam::CameraLikeFrame(grey, seed++))));
  }
  return out;
}

TEST_F(SelfCheckAnswerAttack, APassedRemoteCheckRevealsOnlyHeldAndPublishedSourceFacts) {
  auto dev = likeness::testing::FacesDevDir();
  if (!dev || !fs::exists(*dev / "orl")) GTEST_SKIP() << "faces-dev/orl not present";
  engine::SourceDeclaration d{.name = "open-day-2025",
                              .legal_basis = "art6-1-f",
                              .art9_condition = "art9-2-a",
                              .jurisdiction = "GB",
                              .collector = "Jane Collector",
                              .tenant = kTenant,
                              .public_description = kPublicDescription};
  auto source = engine::DeclareSource(Engine().catalog(), d);
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  std::vector<fs::path> held;
  for (int i : {1, 3, 4, 6, 10})
    held.push_back(*dev / "orl" / "s39" / (std::to_string(i) + ".pgm"));
  ASSERT_TRUE(engine::Ingest(Engine(), *source, held, {.jobs = 1}).ok());

  ServerOptions o;
  o.selfcheck_challenges = "turn-left";
  Kiosk k = MakeKiosk(o);
  auto c = k.server->Client();
  c->set_read_timeout(120);
  auto r = Submit(*c, k.kiosk, Challenge(*c, k.kiosk)["nonce"], OrlTurnLeft(*dev / "orl"));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const auto answer = Json(r);
  std::set<std::string> keys;
  for (const auto& [key, v] : answer.items()) keys.insert(key);
  EXPECT_EQ(keys, (std::set<std::string>{"passed", "held", "sources", "reference", "full_report",
                                         "receipt", "receipt_expires_in_s", "kept"}));
  EXPECT_TRUE(answer["held"].get<bool>());
  ASSERT_EQ(answer["sources"].size(), 1u);
  EXPECT_EQ(answer["sources"][0],
            (nlohmann::json{{"description", kPublicDescription},
                            {"legal_basis", {"legitimate interests", "explicit consent"}}}));
  for (const std::string leak :
       {"Jane Collector", "open-day-2025", "face_id", "hits", "kiosk-", "image", "crop", "GB"}) {
    EXPECT_EQ(r->body.find(leak), std::string::npos) << "the remote answer names " << leak;
  }
  for (const char* word : kLeaky) EXPECT_EQ(r->body.find(word), std::string::npos) << word;
  EXPECT_FALSE(std::regex_search(r->body, std::regex(R"(\d{4}-\d{2}-\d{2})"))) << "a date";

  // The person asks to opt out with the receipt (once); the request carries the same reference.
  const std::string reference = answer["reference"];
  const std::string ask = nlohmann::json{{"receipt", answer["receipt"]}, {"kind", "optout"}}.dump();
  auto req = c->Post("/api/v1/selfcheck/requests", k.kiosk, ask, "application/json");
  ASSERT_TRUE(req);
  ASSERT_EQ(req->status, 201) << req->body;
  EXPECT_EQ(Json(req)["reference"], reference);
  EXPECT_EQ(c->Post("/api/v1/selfcheck/requests", k.kiosk, ask, "application/json")->status, 409);

  // The privacy officer sees the reference, and releases the full report after verifying.
  auto list = c->Get("/api/v1/selfcheck/requests", k.officer);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->status, 200) << list->body;
  bool listed = false;
  const nlohmann::json requests = Json(list)["requests"];
  for (const auto& q : requests) {
    if (q["reference"] != reference) continue;
    listed = true;
    EXPECT_EQ(q["outcome"], "passed");
    EXPECT_EQ(q["asked"], nlohmann::json({"optout"}));
  }
  EXPECT_TRUE(listed) << list->body;
  auto no_why = c->Post("/api/v1/selfcheck/requests/" + reference + "/release", k.officer, "{}",
                        "application/json");
  ASSERT_TRUE(no_why);
  EXPECT_EQ(no_why->status, 400) << "released without purpose, basis and case";
  const std::string why = JustifiedJson(nlohmann::json::object()).dump();
  auto kiosk_release = c->Post("/api/v1/selfcheck/requests/" + reference + "/release", k.kiosk, why,
                               "application/json");
  ASSERT_TRUE(kiosk_release);
  EXPECT_EQ(kiosk_release->status, 403) << "the kiosk key released the full report";
  auto full = c->Post("/api/v1/selfcheck/requests/" + reference + "/release", k.officer, why,
                      "application/json");
  ASSERT_TRUE(full);
  ASSERT_EQ(full->status, 200) << full->body;
  EXPECT_EQ(Json(full)["sources"][0]["collector"], "Jane Collector");
  EXPECT_EQ(Json(full)["sources"][0]["photos"].size(), 5u);
  auto audit = c->Get("/api/v1/audit?action=selfcheck_release&limit=50", k.auditor);
  ASSERT_TRUE(audit);
  EXPECT_NE(audit->body.find(reference), std::string::npos) << "the release is not audited";

  // An attended kiosk shows the full report, but only on the terminal holding its device secret.
  auto attended = k.server->server().keys().Create("attended-" + std::to_string(k.server->port()),
                                                   Role::kSelfCheck, kTenant, /*attended=*/true);
  ASSERT_TRUE(attended.ok());
  httplib::Headers stolen = {{"Authorization", "Bearer " + attended->key}};
  auto refused = c->Post("/api/v1/selfcheck/challenge", stolen, "", "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401) << "an attended key worked without its terminal";
  httplib::Headers wrong = stolen;
  wrong.emplace("X-Likeness-Device", "lkd_" + std::string(43, 'A'));
  EXPECT_EQ(c->Post("/api/v1/selfcheck/challenge", wrong, "", "application/json")->status, 401);
  httplib::Headers terminal = stolen;
  terminal.emplace("X-Likeness-Device", attended->device_secret);
  auto at_kiosk = Submit(*c, terminal, Challenge(*c, terminal)["nonce"], OrlTurnLeft(*dev / "orl"));
  ASSERT_TRUE(at_kiosk);
  // The same frames again are a replay: refused like any failure.
  EXPECT_EQ(at_kiosk->status, 422);
  std::vector<std::string> fresh = OrlTurnLeft(*dev / "orl");
  for (auto& f : fresh) {
    cv::Mat img = cv::imdecode(std::vector<uint8_t>(f.begin(), f.end()), cv::IMREAD_COLOR);
    f = Bytes(redteam::Jpeg(img, 90));
  }
  auto shown = Submit(*c, terminal, Challenge(*c, terminal)["nonce"], fresh);
  ASSERT_TRUE(shown);
  ASSERT_EQ(shown->status, 200) << shown->body;
  EXPECT_EQ(Json(shown)["report"]["sources"][0]["collector"], "Jane Collector");
}

}  // namespace
}  // namespace likeness::server::testing
