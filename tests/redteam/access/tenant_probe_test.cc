// Attack: tenant globex probes tenant acme's ids on every route that takes one - sources, uploads,
// photos, crops, erasure previews and erasures by face, image, source, batch and subject, people -
// and compares the answers with those for ids that exist nowhere; it also asks for the
// instance-wide statistics (hubness scoring, people grouping) that span acme's faces. Claim
// (docs/PRIVACY.md, "Tenants"): the replies for "not yours" and "does not exist" are byte-identical
// (status and body) on every route; hubness and people are off for tenants other than the operator;
// nothing of acme's is returned or changed.
#include "access_fixture.h"

namespace likeness::server::testing {
namespace {

class TenantProbeAttack : public AccessRedTeam {};

TEST_F(TenantProbeAttack, AnotherTenantsIdsAnswerExactlyLikeMissingIds) {
  const Held acme = Upload(kAcme, "acme-confidential", {2, 3});
  const Held globex = Upload(kGlobex, "globex-press", {4});
  ASSERT_FALSE(acme.faces.empty());
  ASSERT_FALSE(globex.faces.empty());
  auto image = Engine().catalog().GetImage(*acme.images.begin());
  ASSERT_TRUE(image.ok());
  const int64_t acme_batch = image->batch_id;
  constexpr int64_t kMissing = 987654;
  auto c = Client();

  using Send = std::function<httplib::Result(int64_t id)>;
  const auto get = [&](const std::string& prefix, const std::string& suffix, Role role) -> Send {
    return [&, prefix, suffix, role](int64_t id) {
      return c->Get(prefix + std::to_string(id) + suffix, Auth(kGlobex, role));
    };
  };
  const auto erase = [&](const std::string& path, const std::string& by) -> Send {
    return [&, path, by](int64_t id) {
      nlohmann::json body = {{"by", by}};
      if (by == "subject") {
        body["face_ids"] = {id};
      } else if (by == "source") {  // sources are erased by name
        body["value"] = id == kMissing ? "no-such-source" : "acme-confidential";
      } else {
        body["value"] = std::to_string(id);
      }
      return c->Post(path, Auth(kGlobex, Role::kPrivacy),
                     JustifiedCaseJson(body, "RT-TENANT").dump(), "application/json");
    };
  };
  const auto upload = [&](int64_t id) {
    return c->Post("/api/v1/sources/" + std::to_string(id) + "/images",
                   Auth(kGlobex, Role::kIngest), {FilePart("images", ReadFile(DemoPhoto(5)))});
  };
  struct Probe {
    std::string what;
    Send send;
    int64_t acme_id;
  };
  const int64_t a_face = *acme.faces.begin(), a_image = *acme.images.begin();
  std::vector<Probe> probes = {
      {"GET /sources/{id}", get("/api/v1/sources/", "", Role::kSearch), acme.source_id},
      {"POST /sources/{id}/images", upload, acme.source_id},
      {"GET /images/{id}", get("/api/v1/images/", "", Role::kSearch), a_image},
      {"GET /faces/{id}/crop", get("/api/v1/faces/", "/crop", Role::kSearch), a_face},
      {"GET /people/{id}", get("/api/v1/people/", "?" + JustifiedQuery("RT-TENANT"), Role::kSearch),
       1},
  };
  for (const char* path : {"/api/v1/erasures/preview", "/api/v1/erasures"}) {
    probes.push_back({std::string(path) + " by face", erase(path, "face"), a_face});
    probes.push_back({std::string(path) + " by image", erase(path, "image"), a_image});
    probes.push_back({std::string(path) + " by source", erase(path, "source"), acme.source_id});
    probes.push_back({std::string(path) + " by batch", erase(path, "batch"), acme_batch});
    probes.push_back({std::string(path) + " by subject", erase(path, "subject"), a_face});
  }
  for (const auto& p : probes) {
    SCOPED_TRACE(p.what);
    auto theirs = p.send(p.acme_id);
    auto missing = p.send(kMissing);
    ASSERT_TRUE(theirs);
    ASSERT_TRUE(missing);
    EXPECT_GE(theirs->status, 400) << theirs->body;
    EXPECT_EQ(theirs->status, missing->status);
    EXPECT_EQ(theirs->body, missing->body) << "the reply tells acme's id from a missing one";
    EXPECT_FALSE(LooksLikeImage(theirs->body));
  }
  // Nothing of acme's was erased by the attempts.
  for (int64_t f : acme.faces) EXPECT_TRUE(Engine().catalog().GetFace(f, false).ok()) << f;

  // Instance-wide statistics span acme's faces: off for globex.
  for (const auto& extra : {httplib::MultipartFormDataItems{TextPart("scoring", "hubness")},
                            httplib::MultipartFormDataItems{TextPart("group_by", "person")}}) {
    auto r = Search(kGlobex, Role::kSearch, 1, "RT-TENANT", extra);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403) << r->body;
  }
  // Globex's own search sees only its gallery: acme's sample3 (sample1's person) is not found, and
  // the decision is made for globex's gallery size.
  auto own = Search(kGlobex, Role::kSearch, 1, "RT-TENANT");
  ASSERT_TRUE(own);
  ASSERT_EQ(own->status, 200) << own->body;
  const nlohmann::json j = Json(own);
  EXPECT_EQ(j["gallery_size"].get<int64_t>(), static_cast<int64_t>(globex.faces.size()));
  for (const auto& f : j["faces"]) {
    for (const auto& m : f["matches"]) EXPECT_FALSE(acme.faces.count(m["face_id"].get<int64_t>()));
  }
  bool found = false;
  for (const auto& e : AuditShow("RT-TENANT")) {
    if (e["action"] == "search" && e["operator"] == "globex-search") found = true;
    EXPECT_EQ(e["details"].value("tenant", ""), kGlobex);
  }
  EXPECT_TRUE(found) << "globex's search is not in the audit trail under its case";
}

}  // namespace
}  // namespace likeness::server::testing
