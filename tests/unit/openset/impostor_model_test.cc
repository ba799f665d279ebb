#include "openset/impostor_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "openset/calibration.h"
#include "openset/calibration_file.h"
#include "testing/test_env.h"

namespace likeness::openset {
namespace {

std::vector<float> ExponentialScores(int n, double scale, uint32_t seed) {
  std::mt19937 rng(seed);
  std::exponential_distribution<double> d(1.0 / scale);
  std::vector<float> v;
  for (int i = 0; i < n; ++i) v.push_back(static_cast<float>(d(rng)) - 0.2f);
  return v;
}

TEST(ImpostorModel, RecoversAnExponentialTail) {
  // P(S >= t) = exp(-(t + 0.2) / 0.05) for t >= -0.2.
  const auto scores = ExponentialScores(200000, 0.05, 3);
  auto m = FitImpostorModel(scores);
  ASSERT_TRUE(m.ok());
  for (double t : {0.05, 0.15, 0.3}) {
    const double truth = std::exp(-(t + 0.2) / 0.05);
    EXPECT_NEAR(std::log(FalseMatchRate(*m, t)), std::log(truth), 0.35) << t;
  }
  EXPECT_NEAR(ExpectedFalseMatches(*m, 0.15, 1000), 1000 * FalseMatchRate(*m, 0.15), 1e-9);
}

TEST(ImpostorModel, ThresholdRisesWithGallerySize) {
  auto m = FitImpostorModel(ExponentialScores(50000, 0.05, 4));
  ASSERT_TRUE(m.ok());
  const double t_small = ThresholdForFpir(*m, 1e-2, 100);
  const double t_large = ThresholdForFpir(*m, 1e-2, 100000);
  EXPECT_GT(t_large, t_small);
  EXPECT_LE(FalsePositiveIdentificationRate(*m, t_large, 100000), 1e-2 + 1e-6);
  EXPECT_GT(ThresholdForFpir(*m, 1e-3, 1000), ThresholdForFpir(*m, 1e-2, 1000));
}

TEST(ImpostorModel, TooFewScoresIsAnError) {
  EXPECT_EQ(FitImpostorModel(std::vector<float>(5, 0.1f)).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(Calibration, SkipsSamePhotoAndRoundTripsThroughTheFile) {
  std::mt19937 rng(5);
  std::normal_distribution<float> d;
  std::vector<GalleryFace> gallery;
  for (int i = 0; i < 200; ++i) {
    GalleryFace f;
    f.id = i;
    f.image_id = i / 2;  // two faces per photo
    f.embedding.resize(16);
    double n = 0;
    for (auto& x : f.embedding) x = d(rng), n += x * x;
    for (auto& x : f.embedding) x = static_cast<float>(x / std::sqrt(n));
    gallery.push_back(f);
  }
  // Same-photo twins would otherwise dominate the maxima.
  gallery[1].embedding = gallery[0].embedding;
  auto c = Calibrate(gallery);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->gallery_size, 200);
  EXPECT_LT(c->empirical_threshold_fpir_1e2, 0.99);
  EXPECT_GE(c->threshold_fpir_1e3, c->threshold_fpir_1e2);
  testing::TempDir dir;
  c->measured_at = "2026-01-01T00:00:00Z";
  ASSERT_TRUE(SaveCalibration(dir.path(), *c).ok());
  auto back = LoadCalibration(dir.path());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_DOUBLE_EQ(back->threshold_fpir_1e2, c->threshold_fpir_1e2);
  EXPECT_EQ(back->model.top.size(), c->model.top.size());
  // Thresholds per scoring: the hubness calibration travels in the same file.
  ASSERT_TRUE(c->hubness.has_value());
  ASSERT_TRUE(back->hubness.has_value());
  EXPECT_EQ(back->hubness->k, kDefaultHubnessK);
  EXPECT_DOUBLE_EQ(back->hubness->threshold_fpir_1e2, c->hubness->threshold_fpir_1e2);
  EXPECT_GE(c->hubness->threshold_fpir_1e3, c->hubness->threshold_fpir_1e2);
  EXPECT_EQ(c->hubness->model.scores, c->model.scores);  // the same pairs, rescored
  CalibrationOptions cosine_only;
  cosine_only.hubness_k = 0;
  EXPECT_FALSE(Calibrate(gallery, cosine_only)->hubness.has_value());
  testing::TempDir empty;
  EXPECT_EQ(LoadCalibration(empty.path()).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Calibrate({gallery[0]}).status().code(), StatusCode::kInvalidArgument);
}

TEST(Calibration, PeopleAsWeakLabelsRemoveMatesFromTheImpostorTail) {
  // 30 people with 5 near-identical photos each: without labels the mates fill the tail.
  std::mt19937 rng(9);
  std::normal_distribution<float> d;
  std::vector<GalleryFace> gallery;
  for (int person = 0; person < 30; ++person) {
    std::vector<float> base(32);
    for (auto& x : base) x = d(rng);
    for (int photo = 0; photo < 5; ++photo) {
      GalleryFace f;
      f.id = person * 5 + photo;
      f.image_id = f.id;
      f.embedding = base;
      for (auto& x : f.embedding) x += 0.1f * d(rng);
      double n = 0;
      for (float x : f.embedding) n += x * x;
      for (auto& x : f.embedding) x = static_cast<float>(x / std::sqrt(n));
      gallery.push_back(f);
    }
  }
  auto blind = Calibrate(gallery);
  for (auto& f : gallery) f.person = 1 + f.id / 5;
  auto labelled = Calibrate(gallery);
  ASSERT_TRUE(blind.ok() && labelled.ok());
  EXPECT_EQ(blind->excluded_same_person, 0);
  EXPECT_GT(labelled->excluded_same_person, 0);
  EXPECT_GT(blind->threshold_fpir_1e2, 0.9);  // mates taken for impostors
  EXPECT_LT(labelled->threshold_fpir_1e2, 0.8);

  // A catalog without a people store: the in-memory clustering finds the same grouping and the
  // calibration comes out as with the true labels.
  for (auto& f : gallery) f.person = 0;
  EXPECT_EQ(WeakLabelsByClustering(gallery), 150);
  for (const auto& f : gallery) {
    EXPECT_LT(f.person, 0) << "clustered labels are negative (never a people-store id)";
    EXPECT_EQ(f.person, gallery[f.id / 5 * 5].person) << "face " << f.id;
  }
  auto clustered = Calibrate(gallery);
  ASSERT_TRUE(clustered.ok());
  // Every mate pair is left out (a few chance look-alikes of these 32-d faces merge too).
  EXPECT_GE(clustered->excluded_same_person, labelled->excluded_same_person);
  EXPECT_LT(clustered->threshold_fpir_1e2, 0.8);
}

TEST(Calibration, ClusteringKeepsExistingPeopleAndStopsAtItsSizeLimit) {
  std::vector<GalleryFace> gallery(3);
  for (int i = 0; i < 3; ++i) {
    gallery[i].id = gallery[i].image_id = i + 1;
    gallery[i].embedding = {1.0f, 0.0f};
  }
  gallery[0].person = 7;
  EXPECT_EQ(WeakLabelsByClustering(gallery), 0) << "two faces are no core of three";
  EXPECT_EQ(gallery[0].person, 7);
  std::vector<GalleryFace> huge(static_cast<size_t>(kMaxClusteredCalibrationFaces) + 1);
  EXPECT_EQ(WeakLabelsByClustering(huge), 0);
}

}  // namespace
}  // namespace likeness::openset
