// People over real HTTP (their own data folder, real models, demo photos): list with a face crop,
// show, rename (audited without the name), merge (the same-photo rule answers 409), split, erasure
// by person; and search with scoring=hubness and group_by=person.
#include <map>

#include "engine/search.h"
#include "openset/people_store.h"
#include "server_fixture.h"

namespace likeness::server::testing {
namespace {

// People reads state why (audited).
const std::string kWhy = "purpose=people%20test&legal_basis=art6-1-e&case_ref=P-1";

class PeopleApiTest : public ServerTest {
 protected:
  httplib::Result PostJson(const std::string& path, const nlohmann::json& body, Role role) {
    return Client()->Post(path, Auth(role), body.dump(), "application/json");
  }
  // The searchable faces by image: image id -> face ids.
  static std::map<int64_t, std::vector<int64_t>> FacesByImage() {
    std::map<int64_t, std::vector<int64_t>> out;
    std::vector<int64_t> ids;
    EXPECT_TRUE(Engine()
                    .catalog()
                    .ForEachEmbedding([&](int64_t id, bool searchable, std::span<const float>) {
                      if (searchable) ids.push_back(id);
                      return true;
                    })
                    .ok());
    auto rows = Engine().catalog().GetFacesWithProvenance(ids);
    EXPECT_TRUE(rows.ok());
    for (const auto& r : *rows) out[r.image.id].push_back(r.face.id);
    return out;
  }
};

TEST_F(PeopleApiTest, ListShowRenameMergeSplitAndEraseByPerson) {
  EnsureCatalog();
  auto empty = Client()->Get("/api/v1/people?" + kWhy, Auth(Role::kSearch));
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 200);
  EXPECT_TRUE(Json(empty)["people"].empty());  // nothing clustered yet

  const auto by_image = FacesByImage();
  ASSERT_GE(by_image.size(), 2u);
  auto it = by_image.begin();
  const int64_t image_a = it->first, face_a = it->second.front();
  ++it;
  const int64_t image_b = it->first, face_b = it->second.front();
  int64_t p1 = 0, p2 = 0, p3 = 0;
  {
    auto store = openset::PeopleStore::Open(DataDir());
    ASSERT_TRUE(store.ok());
    p1 = *(*store)->CreatePerson({{face_a, image_a}, {face_b, image_b}});
    p2 = *(*store)->CreatePerson({{by_image.at(image_b).back() + 100000, image_b}});  // same photo
    const int64_t other_image = std::prev(by_image.end())->first;
    p3 = *(*store)->CreatePerson(
        {{std::prev(by_image.end())->second.back() + 200000, other_image + 300000}});
  }

  auto list = Client()->Get("/api/v1/people?" + kWhy, Auth(Role::kSearch));
  ASSERT_TRUE(list);
  ASSERT_EQ(list->status, 200);
  const auto people = Json(list)["people"];
  ASSERT_EQ(people.size(), 3u);
  EXPECT_EQ(people[0]["id"], p1);  // largest first
  EXPECT_EQ(people[0]["faces"], 2);
  const std::string crop = people[0]["cover_crop_url"];
  auto crop_r = Client()->Get(crop, Auth(Role::kSearch));
  ASSERT_TRUE(crop_r);
  EXPECT_EQ(crop_r->status, 200);

  auto renamed = PostJson("/api/v1/people/" + std::to_string(p1) + "/name", {{"name", "Ada L"}},
                          Role::kPrivacy);
  ASSERT_TRUE(renamed);
  ASSERT_EQ(renamed->status, 200) << renamed->body;
  auto shown =
      Client()->Get("/api/v1/people/" + std::to_string(p1) + "?" + kWhy, Auth(Role::kSearch));
  ASSERT_TRUE(shown);
  EXPECT_EQ(Json(shown)["name"], "Ada L");
  EXPECT_EQ(Json(shown)["face_list"].size(), 2u);
  // The audit chain records the change, not the name.
  auto audit = Client()->Get("/api/v1/audit?action=people", Auth(Role::kAuditor));
  ASSERT_TRUE(audit);
  EXPECT_NE(audit->body.find("\"name\""), std::string::npos);
  EXPECT_EQ(audit->body.find("Ada L"), std::string::npos);

  // Merge refused when both appear in one photo; allowed otherwise.
  auto clash =
      PostJson("/api/v1/people/" + std::to_string(p1) + "/merge", {{"from", p2}}, Role::kPrivacy);
  ASSERT_TRUE(clash);
  EXPECT_EQ(clash->status, 409) << clash->body;
  auto merged =
      PostJson("/api/v1/people/" + std::to_string(p1) + "/merge", {{"from", p3}}, Role::kAdmin);
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->status, 200) << merged->body;
  EXPECT_EQ(Json(merged)["faces"], 3);
  auto bad =
      PostJson("/api/v1/people/" + std::to_string(p1) + "/merge", {{"from", "x"}}, Role::kAdmin);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);

  // Split the merged-in face back off.
  auto split =
      PostJson("/api/v1/people/" + std::to_string(p1) + "/split",
               {{"face_id", std::prev(by_image.end())->second.back() + 200000}}, Role::kPrivacy);
  ASSERT_TRUE(split);
  EXPECT_EQ(split->status, 200) << split->body;
  auto missing = PostJson("/api/v1/people/" + std::to_string(p1) + "/split", {{"face_id", 999999}},
                          Role::kPrivacy);  // not one of p1's faces
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);

  // Erasure by person: preview, execute; the person and their faces are gone, the rest is found.
  auto preview =
      PostJson("/api/v1/erasures/preview",
               JustifiedJson({{"by", "person"}, {"value", std::to_string(p1)}}), Role::kPrivacy);
  ASSERT_TRUE(preview);
  ASSERT_EQ(preview->status, 200) << preview->body;
  EXPECT_EQ(Json(preview)["face_count"], 2);
  const auto before = Engine().index().size();
  auto erased =
      PostJson("/api/v1/erasures", JustifiedJson({{"by", "person"}, {"value", std::to_string(p1)}}),
               Role::kPrivacy);
  ASSERT_TRUE(erased);
  ASSERT_EQ(erased->status, 200) << erased->body;
  EXPECT_EQ(Json(erased)["faces_removed"], 2);
  EXPECT_EQ(Engine().index().size(), before - 2);
  for (int64_t f : {face_a, face_b})
    EXPECT_EQ(Engine().catalog().GetFace(f, false).status().code(), StatusCode::kNotFound);
  auto gone =
      Client()->Get("/api/v1/people/" + std::to_string(p1) + "?" + kWhy, Auth(Role::kSearch));
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status, 404);
  auto search = Client()->Post("/api/v1/search", Auth(Role::kSearch),
                               Justified({FilePart("image", ReadFile(DemoPhoto(4)))}));
  ASSERT_TRUE(search);
  EXPECT_EQ(search->status, 200);
  EXPECT_FALSE(Json(search)["faces"][0]["matches"].empty());
}

TEST_F(PeopleApiTest, SearchWithHubnessScoringGroupedByPerson) {
  EnsureCatalog();
  const auto by_image = FacesByImage();
  {
    auto store = openset::PeopleStore::Open(DataDir());
    ASSERT_TRUE(store.ok());
    auto assigned = (*store)->Assignments();  // a person per earlier test in this process
    ASSERT_TRUE(assigned.ok());
    std::map<int64_t, int64_t> members;
    for (const auto& [image, faces] : by_image)
      if (!assigned->contains(faces.front())) members[faces.front()] = image;
    ASSERT_FALSE(members.empty());
    ASSERT_TRUE((*store)->CreatePerson(members).ok());
  }
  auto r = Client()->Post(
      "/api/v1/search", Auth(Role::kSearch),
      Justified({FilePart("image", ReadFile(DemoPhoto(1))), TextPart("largest", "true"),
                 TextPart("scoring", "hubness"), TextPart("group_by", "person")}));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const auto body = Json(r);
  EXPECT_EQ(body["scoring"], "hubness");
  EXPECT_FLOAT_EQ(body["threshold"].get<float>(), engine::kDefaultHubnessThreshold);
  const auto& face = body["faces"][0];
  ASSERT_FALSE(face["matches"].empty());
  size_t grouped = 0;
  for (const auto& m : face["matches"]) {
    EXPECT_TRUE(m.contains("score_cosine"));
    EXPECT_LE(m["score_cosine"].get<double>(), 1.0 + 1e-6);
  }
  bool person_seen = false;
  for (const auto& g : face["people"]) {
    grouped += g["matches"].size();
    if (!g["person"].is_null()) {
      person_seen = true;
      EXPECT_TRUE(g["template_cosine"].is_number());
    }
  }
  EXPECT_EQ(grouped, face["matches"].size());
  EXPECT_TRUE(person_seen);
  EXPECT_TRUE(Engine().hubness_maintained());

  // The raw cosine default is unchanged; unknown values are refused.
  auto raw = Client()->Post(
      "/api/v1/search", Auth(Role::kSearch),
      Justified({FilePart("image", ReadFile(DemoPhoto(1))), TextPart("largest", "true")}));
  ASSERT_TRUE(raw);
  EXPECT_EQ(Json(raw)["scoring"], "cosine");
  for (const auto& m : nlohmann::json(Json(raw)["faces"][0]["matches"]))
    EXPECT_DOUBLE_EQ(m["score"].get<double>(), m["score_cosine"].get<double>());
  for (auto [field, value] : {std::pair{"scoring", "euclid"}, std::pair{"group_by", "image"}}) {
    auto refused = Client()->Post(
        "/api/v1/search", Auth(Role::kSearch),
        Justified({FilePart("image", ReadFile(DemoPhoto(1))), TextPart(field, value)}));
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 400) << field;
  }
}

}  // namespace
}  // namespace likeness::server::testing
