// Attack on "the decision follows the gallery": a catalog that grows until a fixed threshold names
// strangers routinely. The decision threshold must be the one that holds the target FPIR for the
// size of the gallery searched (a tenant's visible faces, not the whole catalog), be reported with
// the expected false matches, follow the catalog as it grows (background recalibration past the
// growth factor), and a catalog above a few thousand faces must calibrate itself before declaring
// any match. Synthetic faces (random unit embeddings) make up the galleries; the probes are demo
// photos, strangers to all of them.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "access_fixture.h"
#include "engine/decision.h"
#include "engine/ingest.h"
#include "openset/calibration_file.h"
#include "openset/impostor_model.h"
#include "testing/random_face.h"

namespace likeness::server::testing {
namespace {

class CalibrationAttack : public AccessRedTeam {
 protected:
  // Stores `count` synthetic faces into source `source_id`.
  void AddFaces(int64_t source_id, int count) {
    auto batch = Engine().catalog().BeginBatch(source_id);
    ASSERT_TRUE(batch.ok());
    const std::string model = Engine().embedding_model_id();
    for (int i = 0; i < count; ++i) {
      catalog::ImageRecord image;
      image.source_id = source_id;
      image.batch_id = *batch;
      image.content_hash = std::to_string(1'000'000 + next_) + std::string(57, 'a');
      image.path = "/synthetic/" + std::to_string(next_) + ".jpg";
      image.format = "jpeg";
      image.width = image.height = 100;
      image.bytes = 1000;
      ++next_;
      std::vector<catalog::FaceRecord> faces = {likeness::testing::RandomFace(rng_)};
      faces[0].model_id = model;
      ASSERT_TRUE(Engine().StoreImage(image, faces).ok());
    }
  }
  int64_t Declare(const std::string& name, const std::string& tenant) {
    auto s = engine::DeclareSource(Engine().catalog(), {.name = name,
                                                        .legal_basis = "art6-1-e",
                                                        .art9_condition = "art9-2-g",
                                                        .jurisdiction = "DE",
                                                        .collector = "test",
                                                        .tenant = tenant});
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? s->id : 0;
  }
  static openset::Calibration Stored() {
    auto c = openset::LoadCalibration(DataDir());
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? *c : openset::Calibration{};
  }
  std::mt19937 rng_{5};
  int next_ = 0;
};

TEST_F(CalibrationAttack, ThresholdFollowsTheSearchedGalleryAndTheCatalogsGrowth) {
  const int64_t op = Declare("synthetic-operator", "default");
  const int64_t acme = Declare("synthetic-acme", kAcme);
  AddFaces(op, 300);
  AddFaces(acme, 100);
  auto calibrated = engine::CalibrateCatalog(Engine().catalog(), DataDir(), 1, 0.01);
  ASSERT_TRUE(calibrated.ok()) << calibrated.status().ToString();
  ASSERT_EQ(calibrated->gallery_size, 400);

  // Each tenant's decision is made for the gallery it searched.
  std::map<std::string, double> thresholds;
  for (const char* tenant : {kOperator, kAcme}) {
    SCOPED_TRACE(tenant);
    auto r = Search(tenant, Role::kSearch, 1, "RT-CALIBRATION");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    const nlohmann::json j = Json(r);
    const int64_t n = j["gallery_size"].get<int64_t>();
    EXPECT_EQ(n, tenant == std::string(kOperator) ? 300 : 100);
    auto d = engine::Decide(Stored(), engine::Scoring::kCosine, n);
    ASSERT_TRUE(d.ok());
    EXPECT_NEAR(j["threshold"].get<double>(), d->threshold, 1e-6);
    EXPECT_NEAR(j["threshold_floor"].get<double>(), d->floor, 1e-6);
    EXPECT_EQ(j["threshold_source"], "calibrated");
    EXPECT_NEAR(j["target_fpir"].get<double>(), 0.01, 1e-12);
    // The expected false matches of a stranger's search at that threshold over that gallery.
    EXPECT_NEAR(j["expected_false_matches"].get<double>(),
                openset::ExpectedFalseMatches(*d->model, d->threshold, n), 1e-6);
    EXPECT_LE(j["fpir"].get<double>(), 0.0101);
    // The model's threshold for this gallery; the decision never goes below the default (random
    // embeddings give a light tail, so here the default is what holds).
    thresholds[tenant] = openset::ThresholdForFpir(*d->model, 0.01, n);
    EXPECT_NEAR(j["threshold"].get<double>(),
                std::max<double>(engine::DefaultThreshold(engine::Scoring::kCosine),
                                 static_cast<float>(thresholds[tenant])),
                1e-6);
  }
  EXPECT_GT(thresholds[kOperator], thresholds[kAcme])
      << "a larger gallery needs a higher threshold";

  // The catalog more than doubles: a search finds the calibration stale and the server
  // recalibrates in the background, keeping the operator's target.
  AddFaces(op, 450);
  auto grown = Search(kOperator, Role::kSearch, 1, "RT-CALIBRATION");
  ASSERT_TRUE(grown);
  ASSERT_EQ(grown->status, 200) << grown->body;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (Stored().gallery_size != 850 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(Stored().gallery_size, 850) << "no background recalibration";
  EXPECT_NEAR(Stored().target_fpir, 0.01, 1e-12);

  // Without a calibration, a catalog above kAutoCalibrateFaces calibrates itself before its
  // searches declare anything.
  std::filesystem::remove(DataDir() / openset::kCalibrationFileName);
  AddFaces(op, static_cast<int>(engine::kAutoCalibrateFaces) - 850 + 50);
  auto big = Search(kOperator, Role::kSearch, 1, "RT-CALIBRATION");
  ASSERT_TRUE(big);
  ASSERT_EQ(big->status, 200) << big->body;
  EXPECT_EQ(Json(big)["threshold_source"], "calibrated");
  EXPECT_EQ(Stored().gallery_size, engine::kAutoCalibrateFaces + 50);
  // Each of those searches is on record under the case.
  int searches = 0;
  for (const auto& e : AuditShow("RT-CALIBRATION"))
    if (e["action"] == "search") ++searches;
  EXPECT_EQ(searches, 4);
}

}  // namespace
}  // namespace likeness::server::testing
