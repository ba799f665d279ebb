// Attack: a key that may see faces lists people (names and face crops) and reads a person, and
// previews erasures to learn which faces a request reaches, all without stating why.
// Claim (docs/PRIVACY.md, "Purpose-bound access to faces and photos"): people listing, person
// detail and erasure previews need a purpose, a legal basis and a case, are refused (and reveal
// nothing) without them, and every answered read is in `audit show` under its case; the crops they
// show need the tokens they return, bound to that read.
#include "access_fixture.h"
#include "openset/people_store.h"

namespace likeness::server::testing {
namespace {

class PeoplePurposeAttack : public AccessRedTeam {};

TEST_F(PeoplePurposeAttack, PeopleAndPreviewsWithoutPurposeAreRefusedAndReadsAreAudited) {
  const Held held = Upload(kOperator, "people-press", {2, 3});
  ASSERT_GE(held.faces.size(), 2u);
  int64_t person = 0;
  {
    auto store = openset::PeopleStore::Open(DataDir());
    ASSERT_TRUE(store.ok());
    std::map<int64_t, int64_t> members;
    for (int64_t f : held.faces) {
      auto face = Engine().catalog().GetFace(f, false);
      ASSERT_TRUE(face.ok());
      members[f] = face->image_id;
      break;
    }
    auto made = (*store)->CreatePerson(members);
    ASSERT_TRUE(made.ok());
    person = *made;
    ASSERT_TRUE((*store)->Name(person, "Erika Mustermann").ok());
  }
  auto c = Client();
  const std::string person_path = "/api/v1/people/" + std::to_string(person);

  // Without a purpose, with only part of one: refused, and nothing of the person in the reply.
  for (Role role : {Role::kSearch, Role::kPrivacy, Role::kAdmin}) {
    for (const std::string& q :
         {std::string(""), std::string("?purpose=curiosity"),
          std::string("?purpose=x&legal_basis=art6-1-e"), std::string("?case_ref=C-1")}) {
      for (const std::string& path : {std::string("/api/v1/people"), person_path}) {
        auto r = c->Get(path + q, Auth(kOperator, role));
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 400) << path << q << " " << r->body;
        EXPECT_EQ(r->body.find("Mustermann"), std::string::npos);
        EXPECT_EQ(r->body.find("crop"), std::string::npos);
      }
    }
  }
  const std::string a_face = std::to_string(*held.faces.begin());
  auto bare_preview =
      c->Post("/api/v1/erasures/preview", Auth(kOperator, Role::kPrivacy),
              nlohmann::json{{"by", "face"}, {"value", a_face}}.dump(), "application/json");
  ASSERT_TRUE(bare_preview);
  EXPECT_EQ(bare_preview->status, 400) << bare_preview->body;
  EXPECT_EQ(bare_preview->body.find("face_count"), std::string::npos);

  // With one: answered, and the crops open only with the tokens this read returned.
  auto list =
      c->Get("/api/v1/people?" + JustifiedQuery("RT-PEOPLE-1"), Auth(kOperator, Role::kSearch));
  ASSERT_TRUE(list);
  ASSERT_EQ(list->status, 200) << list->body;
  auto detail =
      c->Get(person_path + "?" + JustifiedQuery("RT-PEOPLE-1"), Auth(kOperator, Role::kSearch));
  ASSERT_TRUE(detail);
  ASSERT_EQ(detail->status, 200) << detail->body;
  EXPECT_EQ(Json(detail)["name"], "Erika Mustermann");
  int served = 0;
  for (const auto& reply : {Json(list), Json(detail)}) {
    const auto urls = MediaUrls(reply);
    EXPECT_FALSE(urls.empty());
    for (const auto& url : urls) {
      ASSERT_NE(url.find("?token="), std::string::npos) << url;
      auto bare = c->Get(url.substr(0, url.find('?')), Auth(kOperator, Role::kSearch));
      ASSERT_TRUE(bare);
      EXPECT_EQ(bare->status, 403);
      EXPECT_FALSE(LooksLikeImage(bare->body));
      auto ok = c->Get(url, Auth(kOperator, Role::kSearch));
      ASSERT_TRUE(ok);
      EXPECT_EQ(ok->status, 200) << url << " " << ok->body;
      EXPECT_TRUE(LooksLikeImage(ok->body));
      ++served;
    }
  }
  auto preview =
      c->Post("/api/v1/erasures/preview", Auth(kOperator, Role::kPrivacy),
              JustifiedCaseJson({{"by", "face"}, {"value", a_face}}, "RT-PEOPLE-1").dump(),
              "application/json");
  ASSERT_TRUE(preview);
  ASSERT_EQ(preview->status, 200) << preview->body;
  EXPECT_EQ(Json(preview)["face_count"], 1);

  // The audit trail holds each read under its case: two people reads, the preview, each crop.
  int people_reads = 0, previews = 0, media = 0;
  for (const auto& e : AuditShow("RT-PEOPLE-1")) {
    if (e["action"] == "people_read") ++people_reads;
    if (e["action"] == "erasure_preview") ++previews;
    if (e["action"] == "media") ++media;
    EXPECT_EQ(e.dump().find("Mustermann"), std::string::npos) << "a name in the audit chain";
  }
  EXPECT_EQ(people_reads, 2);
  EXPECT_EQ(previews, 1);
  EXPECT_EQ(media, served);
}

}  // namespace
}  // namespace likeness::server::testing
