// The privacy officer's and the auditor's routes over real HTTP, each test on its own data folder:
// subject access, erasure (preview, execute, receipt, stored copies removed), opt-out (add, list,
// withdraw), and the audit chain (entries under the keys' names, filters, verification).
#include "common/hash.h"
#include "server_fixture.h"

namespace likeness::server::testing {
namespace {
namespace fs = std::filesystem;

class PrivacyApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(likeness::testing::ModelDir() && likeness::testing::DemoPhotoDir());
    engine::EngineOptions eo;
    eo.data_dir = dir_.path() / "data";
    eo.model_dir = *likeness::testing::ModelDir();
    auto e = engine::Engine::Open(eo);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(*e);
    server_ = std::make_unique<TestServer>(*engine_);
    ASSERT_TRUE(server_->ok());
    c_ = server_->Client();
  }
  void TearDown() override {
    c_.reset();
    server_.reset();
    engine_.reset();
  }

  // Declares "press" and uploads the samples into it; returns the source id.
  int64_t Upload(std::initializer_list<int> samples) {
    auto created = c_->Post(
        "/api/v1/sources", A(Role::kIngest),
        nlohmann::json{
            {"name", "press"}, {"legal_basis", "art6-1-e,art9-2-g"}, {"jurisdiction", "DE"}}
            .dump(),
        "application/json");
    EXPECT_TRUE(created && created->status == 201);
    const int64_t id = Json(created)["id"].get<int64_t>();
    httplib::MultipartFormDataItems files;
    for (int i : samples) files.push_back(FilePart("images", ReadFile(DemoPhoto(i))));
    auto up =
        c_->Post("/api/v1/sources/" + std::to_string(id) + "/images", A(Role::kIngest), files);
    EXPECT_TRUE(up && up->status == 200) << (up ? up->body : "");
    return id;
  }
  httplib::Headers A(Role role) { return server_->Auth(role); }
  httplib::Result PostJson(const std::string& path, const nlohmann::json& body, Role role) {
    return c_->Post(path, A(role), body.dump(), "application/json");
  }
  int64_t ImageIdOf(int sample) {
    const std::string bytes = ReadFile(DemoPhoto(sample));
    auto id = engine_->catalog().FindImageByHash(
        Sha256Hex({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}));
    return id.ok() && id->has_value() ? **id : 0;
  }
  std::string SearchDecision() {
    auto r = c_->Post(
        "/api/v1/search", A(Role::kSearch),
        Justified({FilePart("image", ReadFile(DemoPhoto(1))), TextPart("largest", "true")}));
    EXPECT_TRUE(r && r->status == 200);
    return Json(r)["faces"][0]["decision"].get<std::string>();
  }
  size_t StoredCopies() {
    size_t n = 0;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(engine_->options().data_dir / "uploads", ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file()) ++n;
    }
    return n;
  }

  likeness::testing::TempDir dir_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<httplib::Client> c_;
};

TEST_F(PrivacyApiTest, SubjectAccessThenErasureOfTheSubject) {
  Upload({3, 4});
  ASSERT_EQ(SearchDecision(), "match");

  auto access =
      c_->Post("/api/v1/access", A(Role::kPrivacy),
               Justified({FilePart("image", ReadFile(DemoPhoto(1))), TextPart("largest", "true")}));
  ASSERT_TRUE(access);
  ASSERT_EQ(access->status, 200) << access->body;
  auto report = Json(access);
  EXPECT_TRUE(report["held"].get<bool>());
  ASSERT_FALSE(report["faces"].empty());
  const auto& held = report["faces"][0];
  EXPECT_FALSE(held.contains("image_path")) << "server paths must not leak";
  EXPECT_FALSE(held.contains("source_location"));
  EXPECT_EQ(held["source"], "press");
  EXPECT_GE(held["search_hits"].get<int>(), 1);
  EXPECT_EQ(
      held["crop_url"].get<std::string>().rfind(
          "/api/v1/faces/" + std::to_string(held["face_id"].get<int64_t>()) + "/crop?token=", 0),
      0u);
  // A photo with several faces needs largest=true.
  auto several = c_->Post("/api/v1/access", A(Role::kPrivacy),
                          Justified({FilePart("image", ReadFile(DemoPhoto(1)))}));
  ASSERT_TRUE(several);
  EXPECT_EQ(several->status, 400);

  nlohmann::json face_ids = nlohmann::json::array();
  for (const auto& f : report["faces"]) face_ids.push_back(f["face_id"]);
  const nlohmann::json request = {{"by", "subject"}, {"face_ids", face_ids}};
  // A preview is a purpose-bound read: refused without its justification.
  auto bare_preview = PostJson("/api/v1/erasures/preview", request, Role::kPrivacy);
  ASSERT_TRUE(bare_preview);
  EXPECT_EQ(bare_preview->status, 400);
  auto preview = PostJson("/api/v1/erasures/preview", JustifiedJson(request), Role::kPrivacy);
  ASSERT_TRUE(preview);
  ASSERT_EQ(preview->status, 200) << preview->body;
  EXPECT_EQ(Json(preview)["face_count"], face_ids.size());
  EXPECT_EQ(SearchDecision(), "match") << "a preview must change nothing";

  auto unjustified = PostJson("/api/v1/erasures", request, Role::kPrivacy);
  ASSERT_TRUE(unjustified);
  EXPECT_EQ(unjustified->status, 400);

  auto erased = PostJson("/api/v1/erasures", JustifiedJson(request), Role::kPrivacy);
  ASSERT_TRUE(erased);
  ASSERT_EQ(erased->status, 200) << erased->body;
  auto receipt = Json(erased);
  EXPECT_EQ(receipt["receipt"], "likeness-erasure-v1");
  EXPECT_EQ(receipt["faces_removed"], face_ids.size());
  EXPECT_EQ(receipt["operator"], "privacy-key");
  EXPECT_GT(receipt["audit_seq"].get<int64_t>(), 0);
  EXPECT_EQ(SearchDecision(), "no_match");

  auto again =
      c_->Post("/api/v1/access", A(Role::kPrivacy),
               Justified({FilePart("image", ReadFile(DemoPhoto(1))), TextPart("largest", "true")}));
  ASSERT_TRUE(again);
  EXPECT_FALSE(Json(again)["held"].get<bool>());
}

TEST_F(PrivacyApiTest, ErasingAnImageRemovesItsStoredCopy) {
  Upload({3, 4});
  ASSERT_EQ(StoredCopies(), 2u);
  const int64_t image = ImageIdOf(4);
  auto erased =
      PostJson("/api/v1/erasures",
               JustifiedJson({{"by", "image"}, {"value", std::to_string(image)}}), Role::kAdmin);
  ASSERT_TRUE(erased);
  ASSERT_EQ(erased->status, 200) << erased->body;
  EXPECT_EQ(Json(erased)["images_removed"], 1);
  EXPECT_EQ(Json(erased)["stored_copies_removed"], 1);
  EXPECT_EQ(StoredCopies(), 1u);
  EXPECT_EQ(engine_->catalog().GetImage(image).status().code(), StatusCode::kNotFound);
}

TEST_F(PrivacyApiTest, ErasureRequestsAreValidated) {
  Upload({4});
  for (const nlohmann::json& bad :
       {nlohmann::json{{"by", "everything"}, {"value", "x"}},
        nlohmann::json{{"by", "face"}, {"value", "abc"}},
        nlohmann::json{{"by", "subject"}, {"face_ids", nlohmann::json::array()}},
        nlohmann::json{{"by", "subject"}, {"face_ids", {-1}}},
        nlohmann::json{{"by", "jurisdiction"}, {"value", "ZZ"}}, nlohmann::json{{"value", "1"}}}) {
    auto r = PostJson("/api/v1/erasures/preview", JustifiedJson(bad), Role::kPrivacy);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << bad.dump() << " -> " << r->body;
  }
  auto nothing = PostJson("/api/v1/erasures/preview",
                          JustifiedJson({{"by", "jurisdiction"}, {"value", "FR"}}), Role::kPrivacy);
  ASSERT_TRUE(nothing);
  EXPECT_EQ(nothing->status, 404);
  auto unknown = PostJson("/api/v1/erasures", JustifiedJson({{"by", "face"}, {"value", "999999"}}),
                          Role::kPrivacy);
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
}

TEST_F(PrivacyApiTest, OptOutsAreAddedListedAndWithdrawn) {
  Upload({3, 4});
  const auto add = [&](const std::string& ref) {
    return c_->Post("/api/v1/optouts", A(Role::kPrivacy),
                    Justified({FilePart("image", ReadFile(DemoPhoto(1))),
                               TextPart("largest", "true"), TextPart("request_ref", ref)}));
  };
  auto added = add("REQ-2026-1");
  ASSERT_TRUE(added);
  ASSERT_EQ(added->status, 201) << added->body;
  EXPECT_GE(Json(added)["matched_faces"].get<int>(), 1);
  EXPECT_EQ(SearchDecision(), "no_match");

  auto dup = add("REQ-2026-1");
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->status, 409);
  auto bad_ref = add("../etc");
  ASSERT_TRUE(bad_ref);
  EXPECT_EQ(bad_ref->status, 400);

  auto list = c_->Get("/api/v1/optouts", A(Role::kPrivacy));
  ASSERT_TRUE(list);
  ASSERT_EQ(list->status, 200);
  const auto listing = Json(list);
  ASSERT_EQ(listing["optouts"].size(), 1u);
  EXPECT_EQ(listing["optouts"][0]["request"], "REQ-2026-1");
  EXPECT_EQ(list->body.find("template"), std::string::npos);

  auto withdrawn =
      PostJson("/api/v1/optouts/REQ-2026-1/withdraw", JustifiedJson({}), Role::kPrivacy);
  ASSERT_TRUE(withdrawn);
  EXPECT_EQ(withdrawn->status, 200) << withdrawn->body;
  auto missing = PostJson("/api/v1/optouts/REQ-2026-1/withdraw", JustifiedJson({}), Role::kPrivacy);
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

TEST_F(PrivacyApiTest, TheAuditChainNamesEveryKeyAndVerifies) {
  Upload({3});
  ASSERT_EQ(SearchDecision(), "match");
  auto entries = c_->Get("/api/v1/audit?limit=50&order=oldest", A(Role::kAuditor));
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->status, 200) << entries->body;
  std::map<std::string, std::string> by_action;
  const auto listed = Json(entries);
  for (const auto& e : listed["entries"]) by_action[e["action"]] = e["operator"];
  EXPECT_EQ(by_action["declare_source"], "ingest-key");
  EXPECT_EQ(by_action["ingest"], "ingest-key");
  EXPECT_EQ(by_action["search"], "search-key");

  auto searches = c_->Get("/api/v1/audit?action=search", A(Role::kAuditor));
  ASSERT_TRUE(searches);
  const auto s = Json(searches);
  ASSERT_EQ(s["entries"].size(), 1u);
  EXPECT_EQ(s["entries"][0]["case_ref"], "TEST-1");
  EXPECT_EQ(s["entries"][0]["purpose"], "integration test");
  EXPECT_TRUE(s["entries"][0]["details"].is_object());

  auto verify = c_->Get("/api/v1/audit/verify", A(Role::kAuditor));
  ASSERT_TRUE(verify);
  ASSERT_EQ(verify->status, 200);
  EXPECT_TRUE(Json(verify)["ok"].get<bool>()) << verify->body;
  EXPECT_GE(Json(verify)["records_checked"].get<int>(), 3);

  for (const char* bad : {"/api/v1/audit?limit=0", "/api/v1/audit?limit=abc",
                          "/api/v1/audit?order=sideways", "/api/v1/audit?limit=5000"}) {
    auto r = c_->Get(bad, A(Role::kAuditor));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << bad;
  }
}

}  // namespace
}  // namespace likeness::server::testing
