// Proofs that erasure reaches everything: after each kind, search finds nothing erased, and a byte
// scan of every file in the data folder (catalog.db and its WAL, the index file, keys.db, audit.db)
// finds none of the erased embeddings' bytes while the kept faces' bytes are still there.
#include "governance/erasure.h"

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "engine/search.h"
#include "governance_fixture.h"
#include "openset/people_store.h"

namespace likeness::governance {
namespace {

class ErasureTest : public GovernanceTest {
 protected:
  // Plans and executes `request`, then checks the proofs. Returns the receipt.
  nlohmann::json EraseAndProve(const ErasureRequest& request) {
    auto plan = PlanErasure(*gov_, request);
    EXPECT_TRUE(plan.ok()) << plan.status().ToString();
    if (!plan.ok()) return {};
    EXPECT_FALSE(plan->face_ids.empty());
    std::set<int64_t> erased(plan->face_ids.begin(), plan->face_ids.end());
    std::vector<std::pair<int64_t, Embedding>> gone, kept;
    for (int64_t id : AllFaces()) {
      (erased.count(id) ? gone : kept).emplace_back(id, EmbeddingOf(id));
    }
    EXPECT_FALSE(kept.empty());
    {  // before: every embedding's bytes are in the folder (the scan can see them)
      const std::string before = DataFolderBytes();
      for (const auto& [id, e] : gone) EXPECT_TRUE(Contains(before, e)) << "face " << id;
    }
    auto receipt = ExecuteErasure(*gov_, *plan, Why());
    EXPECT_TRUE(receipt.ok()) << receipt.status().ToString();
    if (!receipt.ok()) return {};
    EXPECT_EQ(receipt->json["faces_removed"], gone.size());
    EXPECT_EQ(receipt->json["removed_ids_sha256"].get<std::string>().size(), 64u);

    const std::string after = DataFolderBytes();
    for (const auto& [id, e] : gone) {
      EXPECT_FALSE(Contains(after, e)) << "erased face " << id << " still has bytes on disk";
      auto f = engine_->catalog().GetFace(id, false);
      EXPECT_EQ(f.status().code(), StatusCode::kNotFound);
      engine::SearchOptions o;
      o.top_k = 50;
      auto hits = engine::SearchEmbedding(*engine_, e, o);
      EXPECT_TRUE(hits.ok());
      for (const auto& m : *hits) EXPECT_FALSE(erased.count(m.face.face.id)) << m.face.face.id;
    }
    for (const auto& [id, e] : kept) {
      EXPECT_TRUE(Contains(after, e)) << "kept face " << id << " lost";
      auto f = engine_->catalog().GetFace(id, false);
      EXPECT_TRUE(f.ok()) << id;
    }
    // Reopening rebuilds nothing stale: the saved index matches the catalog.
    EXPECT_EQ(engine_->index().size(), static_cast<int64_t>(kept.size()) - CountUnsearchable(kept));
    auto audit = gov_->audit().Query({.action = "erase", .limit = 100});
    EXPECT_TRUE(audit.ok());
    EXPECT_FALSE(audit->empty());
    EXPECT_TRUE(gov_->audit().Verify()->ok);
    return receipt->json;
  }
  int64_t CountUnsearchable(const std::vector<std::pair<int64_t, Embedding>>& faces) {
    int64_t n = 0;
    for (const auto& [id, e] : faces)
      n += engine_->catalog().GetFace(id, false)->searchable ? 0 : 1;
    return n;
  }
};

TEST_F(ErasureTest, ByFace) {
  const int64_t id = AllFaces().front();
  auto r = EraseAndProve({EraseKind::kFace, std::to_string(id), {}});
  EXPECT_EQ(r["faces_removed"], 1);
}

TEST_F(ErasureTest, ByImage) {
  auto image = engine_->catalog().GetFace(AllFaces().front(), false)->image_id;
  auto r = EraseAndProve({EraseKind::kImage, std::to_string(image), {}});
  EXPECT_EQ(r["images_removed"], 1);
  EXPECT_EQ(engine_->catalog().GetImage(image).status().code(), StatusCode::kNotFound);
}

TEST_F(ErasureTest, BySourceDestroysItsDataKey) {
  const std::string scope = "source:" + std::to_string(fr_.id);
  ASSERT_TRUE(gov_->keys().GetOrCreateDataKey(scope).ok());
  auto r = EraseAndProve({EraseKind::kSource, "fr-photos", {}});
  EXPECT_EQ(r["images_removed"], 3);
  EXPECT_TRUE(r["data_key_destroyed"].get<bool>());
  EXPECT_EQ(gov_->keys().GetDataKey(scope).status().code(), StatusCode::kNotFound);
}

TEST_F(ErasureTest, ByBatch) {
  auto batch = engine_->catalog()
                   .GetImage(engine_->catalog().GetFace(AllFaces().back(), false)->image_id)
                   ->batch_id;
  auto r = EraseAndProve({EraseKind::kBatch, std::to_string(batch), {}});
  EXPECT_EQ(r["images_removed"], 3);
}

TEST_F(ErasureTest, ByJurisdiction) {
  auto r = EraseAndProve({EraseKind::kJurisdiction, "de", {}});
  EXPECT_EQ(r["asked"]["value"], "DE");
  EXPECT_EQ(r["images_removed"], 3);
}

TEST_F(ErasureTest, BySubjectErasesEveryMatchOnly) {
  auto probe = SingleFaceProbe(*engine_, Bytes(Demo(1)), true);
  ASSERT_TRUE(probe.ok()) << probe.status().ToString();
  auto matches =
      HeldFacesMatching(*engine_, probe->faces[0].embedding, engine::kDefaultMatchThreshold);
  ASSERT_TRUE(matches.ok());
  ASSERT_FALSE(matches->empty());
  ErasureRequest req{EraseKind::kSubject, probe->probe_sha256, {}};
  for (const auto& m : *matches) req.face_ids.push_back(m.first);
  EraseAndProve(req);
  auto again =
      HeldFacesMatching(*engine_, probe->faces[0].embedding, engine::kDefaultMatchThreshold);
  EXPECT_TRUE(again->empty());
}

TEST_F(ErasureTest, BadRequestsChangeNothing) {
  const size_t before = AllFaces().size();
  EXPECT_EQ(PlanErasure(*gov_, {EraseKind::kFace, "abc", {}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(PlanErasure(*gov_, {EraseKind::kFace, "999999", {}}).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(PlanErasure(*gov_, {EraseKind::kJurisdiction, "XX", {}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(PlanErasure(*gov_, {EraseKind::kJurisdiction, "US", {}}).status().code(),
            StatusCode::kNotFound);  // nothing held there
  EXPECT_EQ(PlanErasure(*gov_, {EraseKind::kSource, "nope", {}}).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(PlanErasure(*gov_, {EraseKind::kSubject, "h", {}}).status().code(),
            StatusCode::kNotFound);  // a subject matching nothing
  EXPECT_EQ(AllFaces().size(), before);
}

// Erasure by person: every face of the person (one per photo here) is physically gone from the
// catalog, the index, the hubness state and people.db, the person's name with them; the rest is
// still found. The hubness state is built first so the byte scan covers its file too.
TEST_F(ErasureTest, ByPersonErasesEveryFaceAndTheName) {
  std::vector<int64_t> faces = AllFaces();
  ASSERT_TRUE(engine_->GalleryMeans(std::vector<int64_t>{}).ok());  // builds hubness.lkhub
  ASSERT_TRUE(engine_->hubness_maintained());
  std::map<int64_t, int64_t> person_faces;  // one face of each of the first three photos
  for (int64_t id : faces) {
    const int64_t image = engine_->catalog().GetFace(id, false)->image_id;
    bool seen = false;
    for (const auto& [f, i] : person_faces) seen = seen || i == image;
    if (!seen && person_faces.size() < 3) person_faces[id] = image;
  }
  auto people = openset::PeopleStore::Open(engine_->options().data_dir);
  ASSERT_TRUE(people.ok()) << people.status().ToString();
  auto person = (*people)->CreatePerson(person_faces);
  ASSERT_TRUE(person.ok()) << person.status().ToString();
  ASSERT_TRUE((*people)->Name(*person, "Zebedee Quux").ok());
  auto other = (*people)->CreatePerson(
      {{faces.back(), engine_->catalog().GetFace(faces.back(), false)->image_id}});
  ASSERT_TRUE(other.ok());
  people->reset();

  auto r = EraseAndProve({EraseKind::kPerson, std::to_string(*person), {}});
  EXPECT_EQ(r["asked"]["by"], "person");
  EXPECT_EQ(r["faces_removed"], 3);
  EXPECT_EQ(r["person_assignments_removed"], 3);
  auto after = openset::PeopleStore::Open(engine_->options().data_dir);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ((*after)->Get(*person).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE((*after)->Get(*other).ok());
  EXPECT_EQ(DataFolderBytes().find("Zebedee Quux"), std::string::npos) << "the name survived";
  // The hubness state followed the erasure and was saved: a reopened engine loads it as fresh.
  EXPECT_TRUE(engine_->hubness_maintained());
  auto loaded = openset::NeighbourhoodStats::Load(engine_->hubness_path());
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->stats->size(), engine_->index().size());
  for (const auto& [id, image] : person_faces) EXPECT_FALSE(loaded->stats->Contains(id));
  // Unknown people and malformed ids change nothing.
  EXPECT_EQ(PlanErasure(*gov_, {EraseKind::kPerson, "999", {}}).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(PlanErasure(*gov_, {EraseKind::kPerson, "x", {}}).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace likeness::governance
