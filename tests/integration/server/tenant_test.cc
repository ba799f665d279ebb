// Organisations as tenants, over real HTTP with the real models: two tenants ("acme" and "globex")
// with a key of every role each, demo photos uploaded into each tenant's own source, then
//   - for EVERY route of the route table (a route without a case here fails the test, so a new
//     route cannot be forgotten), every role of globex that the route admits tries to read or
//     change acme's data: ids answer 404 exactly like ids that do not exist, and no reply names
//     anything of acme's (its source, faces, images, key names);
//   - a share of acme's source makes it visible to globex's search (the share recorded in the
//     audit chain, seen by both tenants' auditors), and unsharing hides it again;
//   - the scoped search stays exact when the index's top-k is full of other tenants' faces.
#include <cmath>
#include <functional>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <set>

#include "catalog/catalog.h"
#include "common/hash.h"
#include "engine/scoped_search.h"
#include "engine/search.h"
#include "governance/governance.h"
#include "governance/sharing.h"
#include "server/routes.h"
#include "server_fixture.h"

namespace likeness::server::testing {
namespace {

constexpr const char* kA = "acme";
constexpr const char* kB = "globex";
constexpr const char* kSecretSource = "acme-confidential-7f3";

std::string KeyName(const std::string& tenant, Role role) {
  return tenant + "-" + std::string(RoleName(role));
}

// What a tenant holds after its upload.
struct Holdings {
  int64_t source_id = 0;
  std::set<int64_t> images, faces;
};

class TenantTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(likeness::testing::ModelDir() && likeness::testing::DemoPhotoDir());
    engine::EngineOptions eo;
    eo.data_dir = dir_.path() / "data";
    eo.model_dir = *likeness::testing::ModelDir();
    auto e = engine::Engine::Open(eo);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(*e);
    ASSERT_TRUE(engine_->catalog().CreateTenant(kA).ok());
    ASSERT_TRUE(engine_->catalog().CreateTenant(kB).ok());
    ServerOptions so;
    so.per_key = {100, 400};
    so.per_address = {1000, 1000};
    so.selfcheck_per_key = {100, 400};  // the route sweep sends several self-check requests
    so.selfcheck_per_address = {100, 400};
    server_ = std::make_unique<TestServer>(*engine_, so);
    ASSERT_TRUE(server_->ok());
    c_ = server_->Client();
    for (const char* t : {kA, kB, "default"}) {
      for (Role r : kAllRoles) {
        auto made = server_->server().keys().Create(KeyName(t, r), r, t);
        ASSERT_TRUE(made.ok()) << made.status().ToString();
        keys_[KeyName(t, r)] = made->key;
      }
    }
    // acme holds sample3 (the person of sample1's largest face) and sample2; globex sample4.
    a_ = Upload(kA, kSecretSource, {2, 3}, "FR");
    b_ = Upload(kB, "globex-press", {4}, "DE");
    ASSERT_FALSE(a_.faces.empty());
    ASSERT_FALSE(b_.faces.empty());
  }
  void TearDown() override {
    c_.reset();
    server_.reset();
    engine_.reset();
  }

  httplib::Headers Auth(const std::string& tenant, Role role) {
    return {{"Authorization", "Bearer " + keys_.at(KeyName(tenant, role))}};
  }

  Holdings Upload(const std::string& tenant, const std::string& name,
                  std::initializer_list<int> samples, const std::string& jurisdiction) {
    Holdings h;
    auto created = c_->Post(
        "/api/v1/sources", Auth(tenant, Role::kIngest),
        nlohmann::json{
            {"name", name}, {"legal_basis", "art6-1-e,art9-2-g"}, {"jurisdiction", jurisdiction}}
            .dump(),
        "application/json");
    EXPECT_TRUE(created && created->status == 201) << (created ? created->body : "");
    if (!created || created->status != 201) return h;
    EXPECT_EQ(Json(created)["tenant"], tenant);
    h.source_id = Json(created)["id"].get<int64_t>();
    httplib::MultipartFormDataItems files;
    for (int i : samples) files.push_back(FilePart("images", ReadFile(DemoPhoto(i))));
    auto up = c_->Post("/api/v1/sources/" + std::to_string(h.source_id) + "/images",
                       Auth(tenant, Role::kIngest), files);
    EXPECT_TRUE(up && up->status == 200) << (up ? up->body : "");
    const nlohmann::json up_json = Json(up);
    for (const auto& f : up_json["files"]) {
      const int64_t image = f["image_id"].get<int64_t>();
      h.images.insert(image);
      auto faces = engine_->catalog().GetFacesOfImage(image, false);
      EXPECT_TRUE(faces.ok());
      for (const auto& face : *faces) h.faces.insert(face.id);
    }
    return h;
  }

  httplib::Result Search(const std::string& tenant, int sample) {
    return c_->Post("/api/v1/search", Auth(tenant, Role::kSearch),
                    Justified({FilePart("image", ReadFile(DemoPhoto(sample))),
                               TextPart("largest", "true"), TextPart("top_k", "50")}));
  }

  // Face ids a search reply returns.
  static std::set<int64_t> ReturnedFaces(const httplib::Result& r) {
    std::set<int64_t> out;
    const nlohmann::json r_json = Json(r);
    for (const auto& f : r_json["faces"]) {
      for (const auto& m : f["matches"]) out.insert(m["face_id"].get<int64_t>());
    }
    return out;
  }

  // Fails when `body` names anything of acme's: its source's name or id, a face or image id (under
  // any key ending in face_id / image_id / source_id, or in a URL), or an acme key's name.
  void ExpectNothingOfA(const std::string& what, const std::string& body) {
    SCOPED_TRACE(what);
    EXPECT_EQ(body.find(kSecretSource), std::string::npos) << body.substr(0, 2000);
    for (Role r : kAllRoles) {
      EXPECT_EQ(body.find("\"" + KeyName(kA, r) + "\""), std::string::npos)
          << "acme's operator leaked: " << body.substr(0, 2000);
    }
    for (int64_t id : a_.faces) {
      EXPECT_EQ(body.find("/faces/" + std::to_string(id) + "/"), std::string::npos);
    }
    for (int64_t id : a_.images) {
      EXPECT_EQ(body.find("/images/" + std::to_string(id) + "\""), std::string::npos);
    }
    const auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded()) return;
    std::function<void(const nlohmann::json&)> walk = [&](const nlohmann::json& v) {
      if (v.is_object()) {
        for (auto it = v.begin(); it != v.end(); ++it) {
          const std::string& k = it.key();
          const auto ends = [&](const std::string& suffix) {
            return k.size() >= suffix.size() &&
                   k.compare(k.size() - suffix.size(), suffix.size(), suffix) == 0;
          };
          if (it->is_number_integer()) {
            const int64_t id = it->get<int64_t>();
            if (ends("face_id")) {
              EXPECT_FALSE(a_.faces.count(id)) << k << "=" << id;
            }
            if (ends("image_id")) {
              EXPECT_FALSE(a_.images.count(id)) << k << "=" << id;
            }
            if (ends("source_id")) {
              EXPECT_NE(id, a_.source_id) << k;
            }
          }
          if (k == "face_ids" && it->is_array()) {
            for (const auto& id : *it) {
              if (id.is_number_integer()) {
                EXPECT_FALSE(a_.faces.count(id.get<int64_t>()));
              }
            }
          }
          if (k == "tenant" && it->is_string()) {
            EXPECT_NE(it->get<std::string>(), kA);
          }
          walk(*it);
        }
      } else if (v.is_array()) {
        for (const auto& x : v) walk(x);
      }
    };
    walk(j);
  }

  likeness::testing::TempDir dir_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<httplib::Client> c_;
  std::map<std::string, std::string> keys_;
  Holdings a_, b_;
};

// One isolation case: globex's request with `role`; `check` asserts on its reply.
struct Attempt {
  std::function<httplib::Result(httplib::Client&, const httplib::Headers&)> send;
  // Expected status, or 0 for "any 2xx".
  int status = 0;
};

TEST_F(TenantTest, EveryRouteKeepsTenantsApart) {
  const std::string a_source = std::to_string(a_.source_id);
  const std::string a_image = std::to_string(*a_.images.begin());
  const std::string a_face = std::to_string(*a_.faces.begin());
  const std::string probe = ReadFile(DemoPhoto(1));  // the person acme holds in sample3
  const auto post_json = [&](const std::string& path, const nlohmann::json& body) {
    return [path, body](httplib::Client& c, const httplib::Headers& h) {
      return c.Post(path, h, body.dump(), "application/json");
    };
  };
  const auto get = [](const std::string& path) {
    return [path](httplib::Client& c, const httplib::Headers& h) { return c.Get(path, h); };
  };
  const auto form = [](const std::string& path, httplib::MultipartFormDataItems items) {
    return [path, items](httplib::Client& c, const httplib::Headers& h) {
      return c.Post(path, h, items);
    };
  };
  auto created = std::make_shared<int>(0);
  const auto create_source = [created](httplib::Client& c, const httplib::Headers& h) {
    const nlohmann::json body = {{"name", "globex-new-" + std::to_string(++*created)},
                                 {"legal_basis", "art6-1-e,art9-2-g"},
                                 {"jurisdiction", "DE"}};
    return c.Post("/api/v1/sources", h, body.dump(), "application/json");
  };
  nlohmann::json a_faces = nlohmann::json::array();
  for (int64_t id : a_.faces) a_faces.push_back(id);

  // Every key-protected route: what globex tries against acme's data, and the reply it must get.
  std::map<std::string, std::vector<Attempt>> cases = {
      {"GET /api/v1/whoami", {{get("/api/v1/whoami"), 200}}},
      {"GET /api/v1/stats", {{get("/api/v1/stats"), 200}}},
      {"GET /api/v1/metrics", {{get("/api/v1/metrics"), 403}}},
      {"POST /api/v1/search",
       {{form("/api/v1/search", Justified({FilePart("image", probe), TextPart("largest", "true"),
                                           TextPart("top_k", "50")})),
         200}}},
      {"POST /api/v1/verify",
       {{form("/api/v1/verify",
              Justified({FilePart("image_a", probe), FilePart("image_b", ReadFile(DemoPhoto(3)))})),
         200}}},
      {"POST /api/v1/faces", {{form("/api/v1/faces", {FilePart("image", probe)}), 200}}},
      {"POST /api/v1/sources", {{create_source, 201}}},
      {"GET /api/v1/sources", {{get("/api/v1/sources"), 200}}},
      {"GET /api/v1/sources/{id}", {{get("/api/v1/sources/" + a_source), 404}}},
      {"POST /api/v1/sources/{id}/images",
       {{form("/api/v1/sources/" + a_source + "/images",
              {FilePart("images", ReadFile(DemoPhoto(5)))}),
         404},
        // A photo acme holds, into globex's own source: no id of acme's in the reply.
        {form("/api/v1/sources/" + std::to_string(b_.source_id) + "/images",
              {FilePart("images", ReadFile(DemoPhoto(3)))}),
         200}}},
      // Another tenant's ingest history answers like a source nobody holds.
      {"GET /api/v1/sources/{id}/batches",
       {{get("/api/v1/sources/" + a_source + "/batches"), 404}}},
      // No media token (only a search that returned the item gives one): refused before any
      // lookup, the same for every id (tests/redteam/access/media_walk_test.cc).
      {"GET /api/v1/images/{id}", {{get("/api/v1/images/" + a_image), 403}}},
      {"GET /api/v1/faces/{id}/crop", {{get("/api/v1/faces/" + a_face + "/crop"), 403}}},
      {"GET /api/v1/videos/{id}", {{get("/api/v1/videos/" + a_image), 403}}},
      {"POST /api/v1/access",
       {{form("/api/v1/access", Justified({FilePart("image", probe), TextPart("largest", "true")})),
         200}}},
      {"POST /api/v1/optouts",
       {{form("/api/v1/optouts", Justified({FilePart("image", probe), TextPart("largest", "true"),
                                            TextPart("request_ref", "globex-req-1")})),
         403}}},
      {"GET /api/v1/optouts", {{get("/api/v1/optouts"), 403}}},
      {"POST /api/v1/optouts/{ref}/withdraw",
       {{post_json("/api/v1/optouts/any-ref/withdraw", JustifiedJson({})), 403}}},
      {"POST /api/v1/erasures/preview",
       {{post_json("/api/v1/erasures/preview",
                   JustifiedJson({{"by", "source"}, {"value", a_source}})),
         404},
        {post_json("/api/v1/erasures/preview", JustifiedJson({{"by", "face"}, {"value", a_face}})),
         404},
        {post_json("/api/v1/erasures/preview",
                   JustifiedJson({{"by", "image"}, {"value", a_image}})),
         404},
        {post_json("/api/v1/erasures/preview",
                   JustifiedJson({{"by", "jurisdiction"}, {"value", "FR"}})),
         404},
        {post_json("/api/v1/erasures/preview",
                   JustifiedJson({{"by", "subject"}, {"face_ids", a_faces}})),
         404},
        {post_json("/api/v1/erasures/preview", JustifiedJson({{"by", "person"}, {"value", "1"}})),
         403}}},
      {"POST /api/v1/erasures",
       {{post_json("/api/v1/erasures", JustifiedJson({{"by", "source"}, {"value", a_source}})),
         404},
        {post_json("/api/v1/erasures", JustifiedJson({{"by", "jurisdiction"}, {"value", "FR"}})),
         404},
        {post_json("/api/v1/erasures", JustifiedJson({{"by", "subject"}, {"face_ids", a_faces}})),
         404}}},
      {"GET /api/v1/audit", {{get("/api/v1/audit?limit=1000"), 200}}},
      {"GET /api/v1/audit/verify", {{get("/api/v1/audit/verify"), 200}}},
      // People span every tenant (one clustering per instance): the operator tenant's only.
      {"GET /api/v1/people", {{get("/api/v1/people"), 403}}},
      {"GET /api/v1/people/{id}", {{get("/api/v1/people/1"), 403}}},
      {"POST /api/v1/people/{id}/name",
       {{post_json("/api/v1/people/1/name", {{"name", "x"}}), 403}}},
      {"POST /api/v1/people/{id}/merge",
       {{post_json("/api/v1/people/1/merge", {{"other", 2}}), 403}}},
      {"POST /api/v1/people/{id}/split",
       {{post_json("/api/v1/people/1/split", {{"face_id", 1}}), 403}}},
      {"POST /api/v1/people/cluster", {{post_json("/api/v1/people/cluster", {}), 403}}},
      {"GET /api/v1/people/cluster", {{get("/api/v1/people/cluster"), 403}}},
      // The self-check: a challenge carries no catalog data; a still capture gets no result (422);
      // a receipt not issued to this kiosk redeems nothing (409). The report of an accepted
      // capture is scoped to the kiosk's tenant (selfcheck handler: ScopeOf(...).own).
      {"POST /api/v1/selfcheck/challenge", {{post_json("/api/v1/selfcheck/challenge", {}), 201}}},
      {"POST /api/v1/selfcheck/submit",
       {{[frame = AsPreviewFrame(probe)](httplib::Client& c, const httplib::Headers& h) {
           // A real challenge, answered with a still of a face acme holds (at a camera preview's
           // size: larger frames are refused before decoding): refused, no result.
           auto challenge = c.Post("/api/v1/selfcheck/challenge", h, "{}", "application/json");
           const std::string nonce = challenge && challenge->status == 201
                                         ? nlohmann::json::parse(challenge->body).value("nonce", "")
                                         : "";
           httplib::MultipartFormDataItems items = {TextPart("nonce", nonce)};
           for (int i = 0; i < 4; ++i) items.push_back(FilePart("frame", frame));
           return c.Post("/api/v1/selfcheck/submit", h, items);
         },
         422}}},
      {"POST /api/v1/selfcheck/requests",
       {{post_json("/api/v1/selfcheck/requests", {{"receipt", "not-issued"}, {"kind", "erasure"}}),
         409}}},
      // The privacy officer's list of kiosk requests is the tenant's own (read from the audit
      // chain by tenant); a reference releases nothing outside it.
      {"GET /api/v1/selfcheck/requests", {{get("/api/v1/selfcheck/requests"), 200}}},
      {"POST /api/v1/selfcheck/requests/{ref}/release",
       {{post_json("/api/v1/selfcheck/requests/sc-0000000000000000/release",
                   {{"purpose", "tenant test"}, {"legal_basis", "art6-1-c"}, {"case_ref", "T-1"}}),
         404}}},
  };

  const Router router = BuildRouter();
  int attempts = 0;
  for (const Route& route : router.routes()) {
    const std::string name = route.method + " " + route.pattern;
    if (route.access == Access::kPublic) continue;  // no key, no tenant: serves no catalog data
    auto it = cases.find(name);
    ASSERT_NE(it, cases.end()) << name << " has no tenant isolation case in tenant_test.cc";
    for (Role role : kAllRoles) {
      if (!route.roles.Contains(role)) continue;
      for (const Attempt& attempt : it->second) {
        SCOPED_TRACE(name + " as globex " + std::string(RoleName(role)));
        auto r = attempt.send(*c_, Auth(kB, role));
        ASSERT_TRUE(r);
        ++attempts;
        if (attempt.status == 0) {
          EXPECT_GE(r->status, 200);
          EXPECT_LT(r->status, 300) << r->body;
        } else {
          EXPECT_EQ(r->status, attempt.status) << r->body;
        }
        ExpectNothingOfA(name, r->body);
      }
    }
  }
  EXPECT_GT(attempts, 30);

  // An id of acme's answers exactly like an id nobody holds.
  auto theirs = c_->Get("/api/v1/images/" + a_image, Auth(kB, Role::kSearch));
  auto nobody = c_->Get("/api/v1/images/99999999", Auth(kB, Role::kSearch));
  ASSERT_TRUE(theirs && nobody);
  EXPECT_EQ(theirs->status, nobody->status);
  EXPECT_EQ(ErrorCode(theirs), ErrorCode(nobody));

  // Nothing of acme's changed, and acme still sees all of it.
  for (int64_t face : a_.faces) {
    EXPECT_TRUE(engine_->catalog().GetFace(face, false).ok())
        << "acme's face " << face << " is gone";
  }
  auto mine = Search(kA, 1);
  ASSERT_TRUE(mine);
  ASSERT_EQ(mine->status, 200) << mine->body;
  EXPECT_FALSE(ReturnedFaces(mine).empty());
  auto a_stats = c_->Get("/api/v1/stats", Auth(kA, Role::kAuditor));
  ASSERT_TRUE(a_stats);
  EXPECT_EQ(Json(a_stats)["sources"], 1);
  EXPECT_EQ(Json(a_stats)["faces"], static_cast<int64_t>(a_.faces.size()));

  // globex's auditor reads only globex's records, and every record it reads says so.
  auto audit = c_->Get("/api/v1/audit?limit=1000", Auth(kB, Role::kAuditor));
  ASSERT_TRUE(audit);
  ASSERT_FALSE(Json(audit)["entries"].empty());
  const nlohmann::json audit_json = Json(audit);
  for (const auto& e : audit_json["entries"]) {
    EXPECT_EQ(e["details"].value("tenant", ""), kB) << e.dump();
  }
  // The operator tenant's auditor reads the whole chain, acme's records included.
  auto all = c_->Get("/api/v1/audit?limit=1000", Auth("default", Role::kAuditor));
  ASSERT_TRUE(all);
  bool saw_acme = false;
  const nlohmann::json all_json = Json(all);
  for (const auto& e : all_json["entries"]) saw_acme |= e["details"].value("tenant", "") == kA;
  EXPECT_TRUE(saw_acme);
  // Metrics are the operator's.
  auto metrics = c_->Get("/api/v1/metrics", Auth("default", Role::kAuditor));
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
}

TEST_F(TenantTest, ASharedSourceIsSearchableByTheGranteeUntilUnshared) {
  auto before = Search(kB, 1);
  ASSERT_TRUE(before);
  ASSERT_EQ(before->status, 200) << before->body;
  for (int64_t id : ReturnedFaces(before)) EXPECT_FALSE(a_.faces.count(id));
  const int64_t gallery_before = Json(before)["gallery_size"].get<int64_t>();
  auto b_stats = engine_->catalog().StatsOfSources(std::vector<int64_t>{b_.source_id});
  ASSERT_TRUE(b_stats.ok());
  EXPECT_EQ(gallery_before, b_stats->searchable_faces) << "only globex's faces are its gallery";

  governance::Justification why{"acme-dpo", "joint investigation", "art6-1-e", "JIT-2026-04"};
  auto share = governance::ShareSource(engine_->catalog(), server_->server().governance().audit(),
                                       a_.source_id, kB, why);
  ASSERT_TRUE(share.ok()) << share.status().ToString();

  auto during = Search(kB, 1);
  ASSERT_TRUE(during);
  ASSERT_EQ(during->status, 200) << during->body;
  bool found_a = false;
  for (int64_t id : ReturnedFaces(during)) found_a |= a_.faces.count(id) > 0;
  EXPECT_TRUE(found_a) << "the shared source's faces are searchable by the grantee";
  EXPECT_GT(Json(during)["gallery_size"].get<int64_t>(), gallery_before);
  // Shared for reading: listed, shown, its crops served; never written into or erased.
  auto listed = c_->Get("/api/v1/sources", Auth(kB, Role::kSearch));
  ASSERT_TRUE(listed);
  bool listed_shared = false;
  const nlohmann::json listed_json = Json(listed);
  for (const auto& s : listed_json["sources"]) {
    if (s["id"] == a_.source_id) listed_shared = s["shared"].get<bool>();
  }
  EXPECT_TRUE(listed_shared);
  // The crops of the shared faces globex's search returned open with the tokens it got.
  std::string shared_crop;
  for (const auto& f : nlohmann::json(Json(during)["faces"]))
    for (const auto& m : f["matches"])
      if (a_.faces.count(m["face_id"].get<int64_t>())) shared_crop = m["crop_url"];
  ASSERT_FALSE(shared_crop.empty());
  auto crop = c_->Get(shared_crop, Auth(kB, Role::kSearch));
  ASSERT_TRUE(crop);
  EXPECT_EQ(crop->status, 200);
  auto upload = c_->Post("/api/v1/sources/" + std::to_string(a_.source_id) + "/images",
                         Auth(kB, Role::kIngest), {FilePart("images", ReadFile(DemoPhoto(5)))});
  ASSERT_TRUE(upload);
  EXPECT_EQ(upload->status, 403);
  auto erase =
      c_->Post("/api/v1/erasures", Auth(kB, Role::kPrivacy),
               JustifiedJson({{"by", "source"}, {"value", std::to_string(a_.source_id)}}).dump(),
               "application/json");
  ASSERT_TRUE(erase);
  EXPECT_EQ(erase->status, 404);

  // The share is in the chain, under both tenants.
  for (const char* tenant : {kA, kB}) {
    auto audit = c_->Get("/api/v1/audit?action=share_source", Auth(tenant, Role::kAuditor));
    ASSERT_TRUE(audit);
    ASSERT_EQ(Json(audit)["entries"].size(), 1u) << tenant << ": " << audit->body;
    const nlohmann::json e = Json(audit)["entries"][0];
    EXPECT_EQ(e["operator"], "acme-dpo");
    EXPECT_EQ(e["legal_basis"], "art6-1-e");
    EXPECT_EQ(e["case_ref"], "JIT-2026-04");
    EXPECT_EQ(e["details"]["source_id"], a_.source_id);
    EXPECT_EQ(e["details"]["grantee"], kB);
  }
  // globex's search of the shared source is in globex's part of the chain.
  auto searches = c_->Get("/api/v1/audit?action=search", Auth(kB, Role::kAuditor));
  ASSERT_TRUE(searches);
  EXPECT_EQ(Json(searches)["entries"].size(), 2u);

  governance::Justification end{"acme-dpo", "investigation closed", "", ""};
  auto unshared = governance::UnshareSource(
      engine_->catalog(), server_->server().governance().audit(), a_.source_id, kB, end);
  ASSERT_TRUE(unshared.ok()) << unshared.status().ToString();
  auto after = Search(kB, 1);
  ASSERT_TRUE(after);
  ASSERT_EQ(after->status, 200);
  for (int64_t id : ReturnedFaces(after)) EXPECT_FALSE(a_.faces.count(id));
  EXPECT_EQ(Json(after)["gallery_size"].get<int64_t>(), gallery_before);
  // A token from the time of the share opens nothing once the share has ended.
  auto crop_after = c_->Get(shared_crop, Auth(kB, Role::kSearch));
  ASSERT_TRUE(crop_after);
  EXPECT_EQ(crop_after->status, 404);
  auto unshare_audit = c_->Get("/api/v1/audit?action=unshare_source", Auth(kB, Role::kAuditor));
  ASSERT_TRUE(unshare_audit);
  EXPECT_EQ(Json(unshare_audit)["entries"].size(), 1u);
  // The history stays.
  auto history = engine_->catalog().ListShares(/*include_revoked=*/true);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 1u);
  EXPECT_FALSE((*history)[0].active());
}

// The index's top-k (and far more) is full of another tenant's faces that score higher than any
// of the searching tenant's: the scoped search still finds the tenant's own face, and only it.
TEST_F(TenantTest, ScopedSearchIsExactWhenTopKIsFullOfOtherTenantsFaces) {
  std::optional<catalog::FaceRecord> held;
  for (int64_t id : b_.faces) {
    auto face = engine_->catalog().GetFace(id, true);
    ASSERT_TRUE(face.ok());
    if (face->searchable && engine_->index().Contains(id)) held = *face;
  }
  ASSERT_TRUE(held.has_value()) << "globex holds no searchable face";
  // The probe: globex's face, nudged; the crowd's faces are the probe itself (score 1.0), so
  // each of them outscores globex's own face.
  Embedding probe = held->embedding;
  probe[0] += 0.3f;
  float norm = 0;
  for (float v : probe) norm += v * v;
  for (float& v : probe) v /= std::sqrt(norm);

  // 300 faces of tenant "crowd", each identical to the probe, in one image.
  ASSERT_TRUE(engine_->catalog().CreateTenant("crowd").ok());
  catalog::SourceRecord crowd_source{.name = "crowd-src",
                                     .kind = catalog::SourceKind::kUpload,
                                     .location = "upload",
                                     .collector = "test",
                                     .legal_basis = "art6-1-e",
                                     .art9_condition = "art9-2-g",
                                     .jurisdiction = "DE",
                                     .tenant = "crowd"};
  auto crowd = engine_->catalog().CreateSource(crowd_source);
  ASSERT_TRUE(crowd.ok()) << crowd.status().ToString();
  catalog::ImageRecord image{.source_id = crowd->id,
                             .content_hash = "crowd-image",
                             .path = "/nonexistent",
                             .format = "jpeg",
                             .width = 100,
                             .height = 100,
                             .bytes = 1};
  std::vector<catalog::FaceRecord> faces(300, *held);
  for (auto& f : faces) {
    f.id = 0;
    f.searchable = true;
    f.embedding = probe;
  }
  ASSERT_TRUE(engine_->catalog().AddImageWithFaces(image, faces).ok());
  std::vector<int64_t> ids;
  std::vector<float> vectors;
  for (const auto& f : faces) {
    ids.push_back(f.id);
    vectors.insert(vectors.end(), probe.begin(), probe.end());
  }
  ASSERT_TRUE(engine_->index().Add(ids, vectors).ok());

  engine::SearchOptions options;
  options.top_k = 5;
  auto unscoped = engine::SearchEmbedding(*engine_, probe, options);
  ASSERT_TRUE(unscoped.ok());
  ASSERT_EQ(unscoped->size(), 5u);
  for (const auto& m : *unscoped) EXPECT_EQ(m.face.source.id, crowd->id);

  options.visible_sources =
      std::make_shared<const std::vector<int64_t>>(std::vector<int64_t>{b_.source_id});
  auto scoped = engine::SearchEmbedding(*engine_, probe, options);
  ASSERT_TRUE(scoped.ok()) << scoped.status().ToString();
  ASSERT_FALSE(scoped->empty());
  EXPECT_EQ(scoped->front().face.face.id, held->id);
  EXPECT_LT(scoped->front().score, 0.999f);
  EXPECT_GT(scoped->front().score, 0.8f);
  for (const auto& m : *scoped) EXPECT_EQ(m.face.source.id, b_.source_id);
  EXPECT_LE(scoped->size(), std::min<size_t>(5, b_.faces.size()));

  // Nothing visible: nothing returned, however close.
  options.visible_sources = std::make_shared<const std::vector<int64_t>>();
  auto none = engine::SearchEmbedding(*engine_, probe, options);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  auto gallery = engine::VisibleGallerySize(*engine_, std::vector<int64_t>{crowd->id});
  ASSERT_TRUE(gallery.ok());
  EXPECT_EQ(*gallery, 300);
}

}  // namespace
}  // namespace likeness::server::testing
