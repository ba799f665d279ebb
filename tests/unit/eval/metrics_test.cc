#include "eval/metrics.h"

#include <gtest/gtest.h>

namespace likeness::eval {
namespace {

TEST(MetricsTest, PerfectSeparationGivesFullAccuracyAndAuc) {
  std::vector<ScoredPair> pairs;
  for (int i = 0; i < 100; ++i) pairs.push_back({0.6f + i * 0.001f, true, i % 10});
  for (int i = 0; i < 100; ++i) pairs.push_back({0.1f + i * 0.001f, false, i % 10});
  const auto m = ComputeVerification(pairs);
  EXPECT_DOUBLE_EQ(m.accuracy_mean, 1.0);
  EXPECT_DOUBLE_EQ(m.accuracy_std, 0.0);
  EXPECT_GT(m.threshold_mean, 0.19);
  EXPECT_LT(m.threshold_mean, 0.6);
  EXPECT_DOUBLE_EQ(m.roc_auc, 1.0);
  EXPECT_DOUBLE_EQ(m.tar_at_far_1e3, 1.0);
  EXPECT_EQ(m.genuine, 100);
  EXPECT_EQ(m.impostor, 100);
}

TEST(MetricsTest, AucCountsTiesAsHalf) {
  std::vector<ScoredPair> pairs = {{0.5f, true}, {0.5f, false}};
  EXPECT_DOUBLE_EQ(RocAuc(pairs), 0.5);
  pairs = {{0.9f, true}, {0.1f, true}, {0.5f, false}};
  EXPECT_DOUBLE_EQ(RocAuc(pairs), 0.5);
}

TEST(MetricsTest, TarAtFarPutsTheThresholdAboveTheAllowedImpostors) {
  // 1000 impostors; FAR 1e-3 allows exactly one above the threshold.
  std::vector<ScoredPair> pairs;
  for (int i = 0; i < 1000; ++i) pairs.push_back({i / 1000.0f, false});
  pairs.push_back({0.9985f, true});  // above the 2nd-highest impostor (0.998)
  pairs.push_back({0.9975f, true});  // below it
  double t = 0;
  EXPECT_DOUBLE_EQ(TarAtFar(pairs, 1e-3, &t), 0.5);
  EXPECT_GT(t, 0.998);
  EXPECT_LE(t, 0.9985);
}

TEST(MetricsTest, TenFoldChoosesThresholdOnTheOtherFolds) {
  // One fold's pairs would want a different threshold; the result must not be tuned on it.
  std::vector<ScoredPair> pairs;
  for (int f = 0; f < 10; ++f) {
    for (int i = 0; i < 10; ++i) {
      pairs.push_back({0.5f + 0.01f * i, true, f});
      pairs.push_back({0.3f - 0.01f * i, false, f});
    }
  }
  pairs.push_back({0.35f, true, 0});  // a hard genuine pair in fold 0
  const auto m = ComputeVerification(pairs);
  EXPECT_LT(m.accuracy_mean, 1.0);
  EXPECT_GT(m.accuracy_mean, 0.99);
}

TEST(MetricsTest, IdentificationRanksAndFpir) {
  std::vector<ProbeOutcome> probes;
  // 100 mated probes: 90 at rank 1 with mate score 0.8, 10 at rank 2.
  for (int i = 0; i < 100; ++i) {
    ProbeOutcome p;
    p.mated = true;
    p.mate_rank = i < 90 ? 1 : 2;
    p.mate_score = i < 90 ? 0.8f : 0.3f;
    probes.push_back(p);
  }
  // 1000 non-mated probes with best scores 0.000 .. 0.999.
  for (int i = 0; i < 1000; ++i) {
    ProbeOutcome p;
    p.best_nonmate_score = i / 1000.0f;
    probes.push_back(p);
  }
  const auto m = ComputeIdentification(probes, 50);
  EXPECT_DOUBLE_EQ(m.rank1, 0.9);
  EXPECT_DOUBLE_EQ(m.rank5, 1.0);
  EXPECT_EQ(m.gallery_size, 50);
  // FPIR 1 %: 10 of 1000 non-mated searches may exceed: threshold just above 0.989.
  EXPECT_GT(m.threshold_fpir_1e2, 0.989);
  EXPECT_LT(m.threshold_fpir_1e2, 0.991);
  EXPECT_DOUBLE_EQ(m.dir_at_fpir_1e2, 0.0);  // 0.8 is below that threshold
}

}  // namespace
}  // namespace likeness::eval
