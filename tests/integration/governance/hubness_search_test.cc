// Hubness in live search, on the demo photos with the real models: the engine's scores are the
// formula's (checked against a from-scratch computation), the raw cosine stays beside them, the
// neighbourhood state follows ingest and erasure exactly, survives a reopen, and is rebuilt when
// stale. Also search results grouped by person with the person's template.
#include <fstream>
#include <map>

#include "common/hash.h"
#include "engine/person_groups.h"
#include "engine/search.h"
#include "governance/erasure.h"
#include "governance_fixture.h"
#include "openset/neighbourhood_stats.h"
#include "openset/people_store.h"

namespace likeness::governance {
namespace {

class HubnessSearchTest : public GovernanceTest {
 protected:
  // Every searchable face's embedding.
  std::map<int64_t, Embedding> Gallery() {
    std::map<int64_t, Embedding> g;
    EXPECT_TRUE(engine_->catalog()
                    .ForEachEmbedding([&](int64_t id, bool searchable, std::span<const float> e) {
                      if (searchable) g[id] = Embedding(e.begin(), e.end());
                      return true;
                    })
                    .ok());
    return g;
  }
  // Mean cosine of `e` to its k nearest gallery faces other than `self`, from scratch.
  static float BruteMean(const std::map<int64_t, Embedding>& g, const Embedding& e, int64_t self) {
    std::vector<float> c;
    for (const auto& [id, other] : g)
      if (id != self) c.push_back(engine::Cosine(e, other));
    return openset::MeanOfTopK(c, openset::kDefaultHubnessK);
  }
  // The engine's means equal the from-scratch ones for every searchable face.
  void ExpectExactMeans() {
    const auto g = Gallery();
    std::vector<int64_t> ids;
    for (const auto& [id, e] : g) ids.push_back(id);
    auto means = engine_->GalleryMeans(ids);
    ASSERT_TRUE(means.ok()) << means.status().ToString();
    for (size_t i = 0; i < ids.size(); ++i)
      EXPECT_NEAR((*means)[i], BruteMean(g, g.at(ids[i]), ids[i]), 1e-5) << "face " << ids[i];
  }
};

TEST_F(HubnessSearchTest, ScoresAreTheFormulaAndKeepRawCosine) {
  const auto g = Gallery();
  ASSERT_GE(g.size(), 8u);
  const Embedding probe = g.begin()->second;
  engine::SearchOptions o;
  o.top_k = 6;
  o.scoring = engine::Scoring::kHubness;
  o.match_threshold = engine::kDefaultHubnessThreshold;
  auto hits = engine::SearchEmbedding(*engine_, probe, o);
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_EQ(hits->size(), 6u);
  const float probe_mean = BruteMean(g, probe, -1);  // the probe's own entry counts, as in search
  for (size_t i = 0; i < hits->size(); ++i) {
    const auto& m = (*hits)[i];
    const Embedding& e = g.at(m.face.face.id);
    EXPECT_NEAR(m.cosine, engine::Cosine(probe, e), 1e-5);
    const float expected =
        openset::HubnessScore(m.cosine, BruteMean(g, e, m.face.face.id), probe_mean);
    EXPECT_NEAR(m.score, expected, 1e-4) << "face " << m.face.face.id;
    EXPECT_EQ(m.is_match, m.score >= engine::kDefaultHubnessThreshold);
    if (i > 0) {
      EXPECT_GE((*hits)[i - 1].score, m.score);  // ranked by the corrected score
    }
  }
  // Cosine scoring is unchanged: score == cosine.
  o.scoring = engine::Scoring::kCosine;
  auto raw = engine::SearchEmbedding(*engine_, probe, o);
  ASSERT_TRUE(raw.ok());
  for (const auto& m : *raw) EXPECT_FLOAT_EQ(m.score, m.cosine);
  EXPECT_EQ(raw->front().face.face.id, g.begin()->first);
}

TEST_F(HubnessSearchTest, StateFollowsIngestAndErasureAndPersists) {
  EXPECT_FALSE(engine_->hubness_maintained());  // nothing built until a hubness search
  ExpectExactMeans();
  ASSERT_TRUE(engine_->hubness_maintained());
  ASSERT_TRUE(std::filesystem::exists(engine_->hubness_path()));
  // Erase one photo: the means of its faces' neighbours are recomputed.
  const int64_t image = engine_->catalog().GetFace(Gallery().begin()->first, false)->image_id;
  auto plan = PlanErasure(*gov_, {EraseKind::kImage, std::to_string(image), {}});
  ASSERT_TRUE(plan.ok());
  ASSERT_TRUE(ExecuteErasure(*gov_, *plan, Why()).ok());
  ASSERT_TRUE(engine_->hubness_maintained());
  ExpectExactMeans();
  // Ingest again, the erased photo's record lifted (it is new again to the catalog): the
  // newcomers enter the state.
  for (int i = 1; i <= 3; ++i) {
    auto hash = Sha256FileHex(Demo(i));
    ASSERT_TRUE(hash.ok());
    auto lifted = LiftErasedContent(*gov_, *hash, "test: lawful basis returned", Why());
    ASSERT_TRUE(lifted.ok() || lifted.status().code() == StatusCode::kNotFound);
  }
  const auto before = Gallery().size();
  auto again = IngestDemo(Declare("again", "FR"), {1, 2, 3});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ASSERT_GT(Gallery().size(), before);
  ASSERT_TRUE(engine_->hubness_maintained());
  ExpectExactMeans();

  // Reopen: the saved state is loaded (fresh, no rebuild needed) and still exact.
  gov_.reset();
  engine_.reset();
  engine::EngineOptions options;
  options.data_dir = dir_.path() / "data";
  options.model_dir = *likeness::testing::ModelDir();
  auto reopened = engine::Engine::Open(options);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  engine_ = std::move(*reopened);
  EXPECT_TRUE(engine_->hubness_maintained());
  ExpectExactMeans();

  // A damaged file is stale: not trusted at open, rebuilt at the next hubness search.
  engine_.reset();
  std::ofstream(dir_.path() / "data" / "index" / "hubness.lkhub", std::ios::trunc) << "junk";
  reopened = engine::Engine::Open(options);
  ASSERT_TRUE(reopened.ok());
  engine_ = std::move(*reopened);
  EXPECT_FALSE(engine_->hubness_maintained());
  ExpectExactMeans();
  EXPECT_TRUE(engine_->hubness_maintained());
  EXPECT_TRUE(openset::NeighbourhoodStats::Load(engine_->hubness_path()).ok());
}

TEST_F(HubnessSearchTest, ResultsGroupedByPersonWithTemplates) {
  const auto g = Gallery();
  // A person made of the first searchable face of two different photos.
  std::map<int64_t, int64_t> members;
  for (const auto& [id, e] : g) {
    const int64_t image = engine_->catalog().GetFace(id, false)->image_id;
    bool clash = false;
    for (const auto& [f, i] : members) clash = clash || i == image;
    if (!clash && members.size() < 2) members[id] = image;
  }
  ASSERT_EQ(members.size(), 2u);
  {
    auto people = openset::PeopleStore::Open(engine_->options().data_dir);
    ASSERT_TRUE(people.ok());
    auto p = (*people)->CreatePerson(members);
    ASSERT_TRUE(p.ok());
    ASSERT_TRUE((*people)->Name(*p, "Ada").ok());
  }
  const Embedding probe = g.at(members.begin()->first);
  engine::SearchOptions o;
  o.top_k = static_cast<int>(g.size());
  auto hits = engine::SearchEmbedding(*engine_, probe, o);
  ASSERT_TRUE(hits.ok());
  auto groups = engine::GroupByPerson(*engine_, probe, *hits);
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  size_t listed = 0;
  int named = 0;
  for (const auto& grp : *groups) {
    listed += grp.matches.size();
    EXPECT_FLOAT_EQ(grp.best_score, grp.matches.front().score);
    if (grp.person == 0) {
      EXPECT_EQ(grp.matches.size(), 1u);
      EXPECT_FALSE(grp.template_cosine.has_value());
      continue;
    }
    ++named;
    EXPECT_EQ(grp.name, "Ada");
    EXPECT_EQ(grp.matches.size(), 2u);
    EXPECT_EQ(grp.person_faces, 2);
    ASSERT_TRUE(grp.template_cosine.has_value());
    // The template is a normalised blend of the two faces: it sits between their cosines.
    const float lo = std::min(grp.matches[0].cosine, grp.matches[1].cosine);
    EXPECT_GT(*grp.template_cosine, lo);
  }
  EXPECT_EQ(named, 1);
  EXPECT_EQ(listed, hits->size());  // every match listed once
}

}  // namespace
}  // namespace likeness::governance
