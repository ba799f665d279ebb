// Attacks on the routes behind the web app's Sources and People screens, each passing only when
// the attack fails. Two tenants ("acme", the victim, and "globex") on one instance, real models:
//   - an investigator's key (search) reads a source's ingest history: refused, 403;
//   - globex reads acme's batches by id: 404, exactly as an id nobody holds;
//   - globex, with acme's source shared to it for searching, reads acme's ingest history: 403;
//   - a folder ingest's error path describes the server's file system: only the file name leaves;
//   - globex filters the audit chain by acme's batch id: no record of acme's comes back;
//   - globex uploads a photo acme holds: "duplicate", but neither acme's source nor image is named;
//   - an investigator, or another tenant's privacy officer, starts or watches people clustering
//     (which spans every tenant's faces): 403.
#include <string>

#include "catalog/catalog.h"
#include "governance/sharing.h"
#include "server/api_keys.h"
#include "server_fixture.h"

namespace likeness::server::testing {
namespace {

constexpr const char* kVictim = "acme";
constexpr const char* kAttacker = "globex";
constexpr const char* kVictimSource = "acme-informants-2026";

class WebuxAttackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(likeness::testing::ModelDir() && likeness::testing::DemoPhotoDir());
    engine::EngineOptions eo;
    eo.data_dir = dir_.path() / "data";
    eo.model_dir = *likeness::testing::ModelDir();
    auto e = engine::Engine::Open(eo);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(*e);
    ASSERT_TRUE(engine_->catalog().CreateTenant(kVictim).ok());
    ASSERT_TRUE(engine_->catalog().CreateTenant(kAttacker).ok());
    ServerOptions so;
    so.per_key = {100, 400};
    so.per_address = {1000, 1000};
    server_ = std::make_unique<TestServer>(*engine_, so);
    ASSERT_TRUE(server_->ok());
    c_ = server_->Client();
    for (const char* t : {kVictim, kAttacker}) {
      for (Role r : kAllRoles) {
        auto made =
            server_->server().keys().Create(std::string(t) + "-" + std::string(RoleName(r)), r, t);
        ASSERT_TRUE(made.ok()) << made.status().ToString();
        keys_[{t, r}] = made->key;
      }
    }
    // acme declares its source and uploads sample3 plus a file that is not a photo.
    auto created = c_->Post(
        "/api/v1/sources", Auth(kVictim, Role::kIngest),
        nlohmann::json{
            {"name", kVictimSource}, {"legal_basis", "art6-1-e,art9-2-g"}, {"jurisdiction", "FR"}}
            .dump(),
        "application/json");
    ASSERT_TRUE(created && created->status == 201) << (created ? created->body : "");
    source_ = Json(created)["id"].get<int64_t>();
    auto up = c_->Post(
        "/api/v1/sources/" + std::to_string(source_) + "/images", Auth(kVictim, Role::kIngest),
        httplib::MultipartFormDataItems{FilePart("images", ReadFile(DemoPhoto(3)), "sample3.jpg"),
                                        FilePart("images", "not a photo", "witness-list.txt")});
    ASSERT_TRUE(up && up->status == 200) << (up ? up->body : "");
    batch_ = Json(up)["batch_id"].get<int64_t>();
    image_ = Json(up)["files"][0]["image_id"].get<int64_t>();
  }

  httplib::Headers Auth(const std::string& tenant, Role role) {
    return {{"Authorization", "Bearer " + keys_.at({tenant, role})}};
  }
  std::string Batches(int64_t source) {
    return "/api/v1/sources/" + std::to_string(source) + "/batches";
  }
  // Fails when the body names acme's source, image or batch.
  void ExpectNothingOfVictim(const std::string& body) {
    EXPECT_EQ(body.find(kVictimSource), std::string::npos) << body;
    EXPECT_EQ(body.find("\"image_id\":" + std::to_string(image_)), std::string::npos) << body;
    EXPECT_EQ(body.find("witness-list"), std::string::npos) << body;
  }

  likeness::testing::TempDir dir_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<httplib::Client> c_;
  std::map<std::pair<std::string, Role>, std::string> keys_;
  int64_t source_ = 0, batch_ = 0, image_ = 0;
};

TEST_F(WebuxAttackTest, InvestigatorCannotReadIngestHistory) {
  auto r = c_->Get(Batches(source_), Auth(kVictim, Role::kSearch));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  ExpectNothingOfVictim(r->body);
  // The owner's auditor can (the attack is the role, not the route being broken).
  auto ok = c_->Get(Batches(source_), Auth(kVictim, Role::kAuditor));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST_F(WebuxAttackTest, AnotherTenantsBatchesLookLikeNothingHeld) {
  for (Role role : {Role::kAdmin, Role::kIngest, Role::kAuditor, Role::kPrivacy}) {
    auto theirs = c_->Get(Batches(source_), Auth(kAttacker, role));
    auto nobody = c_->Get(Batches(99999999), Auth(kAttacker, role));
    ASSERT_TRUE(theirs && nobody);
    EXPECT_EQ(theirs->status, 404);
    EXPECT_EQ(theirs->status, nobody->status);
    EXPECT_EQ(ErrorCode(theirs), ErrorCode(nobody));
    ExpectNothingOfVictim(theirs->body);
  }
}

TEST_F(WebuxAttackTest, ASharedSourceDoesNotShareItsIngestHistory) {
  catalog::ShareRecord grant;
  grant.source_id = source_;
  grant.tenant = kAttacker;
  grant.legal_basis = "art6-1-c";
  grant.reference = "MOU-7";
  grant.granted_by = "acme-admin";
  ASSERT_TRUE(engine_->catalog().ShareSource(grant).ok());
  // globex sees the source now (its faces are searchable for it) ...
  auto listed = c_->Get("/api/v1/sources", Auth(kAttacker, Role::kAuditor));
  ASSERT_TRUE(listed && listed->status == 200);
  EXPECT_NE(listed->body.find(kVictimSource), std::string::npos);
  // ... but not when, what and which files acme ingested.
  auto r = c_->Get(Batches(source_), Auth(kAttacker, Role::kAuditor));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(r->body.find("witness-list"), std::string::npos) << r->body;
  EXPECT_EQ(r->body.find("started_at"), std::string::npos) << r->body;
}

TEST_F(WebuxAttackTest, ErrorPathsDoNotDescribeTheServersFileSystem) {
  // A folder ingest records the full path of a file it could not read.
  ASSERT_TRUE(engine_->catalog()
                  .RecordIngestError(batch_, "/srv/acme/informants/2026/jane-doe.jpg",
                                     "InvalidArgument: not an image")
                  .ok());
  auto r = c_->Get(Batches(source_), Auth(kVictim, Role::kIngest));
  ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "");
  EXPECT_EQ(r->body.find("/srv/acme"), std::string::npos) << r->body;
  EXPECT_EQ(r->body.find("upload:"), std::string::npos) << r->body;
  bool found = false;
  for (const auto& e : nlohmann::json(Json(r)["batches"][0]["error_list"]))
    found |= e["file"] == "jane-doe.jpg";
  EXPECT_TRUE(found) << r->body;
}

TEST_F(WebuxAttackTest, AuditBatchFilterStaysInsideTheTenant) {
  for (Role role : {Role::kAdmin, Role::kAuditor}) {
    auto r = c_->Get("/api/v1/audit?batch_id=" + std::to_string(batch_), Auth(kAttacker, role));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_TRUE(Json(r)["entries"].empty()) << r->body;
    ExpectNothingOfVictim(r->body);
  }
  auto own =
      c_->Get("/api/v1/audit?batch_id=" + std::to_string(batch_), Auth(kVictim, Role::kAuditor));
  ASSERT_TRUE(own && own->status == 200);
  // Its own batch: the record of the batch's start and the one of its end.
  EXPECT_EQ(Json(own)["entries"].size(), 2u);
}

TEST_F(WebuxAttackTest, DuplicateUploadDoesNotNameAnotherTenantsCopy) {
  auto created = c_->Post(
      "/api/v1/sources", Auth(kAttacker, Role::kIngest),
      nlohmann::json{
          {"name", "globex-press"}, {"legal_basis", "art6-1-e,art9-2-g"}, {"jurisdiction", "DE"}}
          .dump(),
      "application/json");
  ASSERT_TRUE(created && created->status == 201);
  const int64_t own = Json(created)["id"].get<int64_t>();
  auto up =
      c_->Post("/api/v1/sources/" + std::to_string(own) + "/images", Auth(kAttacker, Role::kIngest),
               {FilePart("images", ReadFile(DemoPhoto(3)), "probe.jpg")});
  ASSERT_TRUE(up && up->status == 200) << (up ? up->body : "");
  const auto file = Json(up)["files"][0];
  EXPECT_EQ(file["status"], "duplicate");
  EXPECT_FALSE(file.contains("image_id")) << up->body;
  EXPECT_FALSE(file.contains("held_in")) << up->body;
  EXPECT_EQ(file["held_elsewhere"], true);
  ExpectNothingOfVictim(up->body);
}

TEST_F(WebuxAttackTest, ClusteringIsNotForInvestigatorsOrOtherTenants) {
  const std::vector<std::pair<std::string, Role>> attackers = {
      {kVictim, Role::kSearch},    {kVictim, Role::kAuditor}, {kVictim, Role::kIngest},
      {kAttacker, Role::kPrivacy}, {kAttacker, Role::kAdmin}, {kVictim, Role::kSelfCheck}};
  for (const auto& [tenant, role] : attackers) {
    SCOPED_TRACE(tenant + " " + std::string(RoleName(role)));
    auto start = c_->Post("/api/v1/people/cluster", Auth(tenant, role), "{}", "application/json");
    auto watch = c_->Get("/api/v1/people/cluster", Auth(tenant, role));
    ASSERT_TRUE(start && watch);
    EXPECT_EQ(start->status, 403);
    EXPECT_EQ(watch->status, 403);
    EXPECT_EQ(watch->body.find("state"), std::string::npos);
  }
  // Nothing was started: no people store, no audit record of a clustering.
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "data" / "people.db"));
}

}  // namespace
}  // namespace likeness::server::testing
