// Verification and identification metrics (pure functions over scores; no models).
#pragma once

#include <cstdint>
#include <vector>

namespace likeness::eval {

struct ScoredPair {
  float score = 0;  // cosine; pairs with a missing face get kNoFaceScore
  bool same = false;
  int fold = 0;  // 0..9 for 10-fold protocols
};

inline constexpr float kNoFaceScore = -1.0f;

struct VerificationMetrics {
  double accuracy_mean = 0, accuracy_std = 0;  // 10-fold, threshold chosen on the other 9 folds
  double threshold_mean = 0;
  double tar_at_far_1e3 = 0;  // over all pairs
  double far_1e3_threshold = 0;
  double roc_auc = 0;
  int64_t pairs = 0, genuine = 0, impostor = 0;
};

// Folds: pairs keep their `fold` when it is set for every pair (LFW View 2); otherwise the caller
// assigns folds round-robin. Threshold search: the midpoints between sorted distinct scores.
VerificationMetrics ComputeVerification(const std::vector<ScoredPair>& pairs, int folds = 10);

// Best-accuracy threshold over the given pairs.
double BestThreshold(const std::vector<ScoredPair>& pairs, double* best_accuracy = nullptr);

// Area under the ROC curve (probability a random genuine pair outscores a random impostor pair).
double RocAuc(const std::vector<ScoredPair>& pairs);

// True-accept rate at the threshold where the false-accept rate is at most `far`.
double TarAtFar(const std::vector<ScoredPair>& pairs, double far, double* threshold = nullptr);

// Open-set identification. For each probe: its best gallery score and whether the probe's identity
// is in the gallery ("mated") and if so the rank of its mate (1-based; 0 = not in the candidate
// list).
struct ProbeOutcome {
  bool mated = false;
  int mate_rank = 0;             // rank of the true identity among gallery candidates (mated only)
  float mate_score = 0;          // score of the true identity's best gallery entry (mated only)
  float best_nonmate_score = 0;  // highest score of any other identity
};

struct IdentificationMetrics {
  int64_t mated_probes = 0, nonmated_probes = 0, gallery_size = 0;
  double rank1 = 0, rank5 = 0;
  // Detection-and-identification rate: mated probes whose mate is rank 1 and scores above the
  // threshold at which the given share of non-mated probes raise any candidate (FPIR).
  double dir_at_fpir_1e2 = 0, threshold_fpir_1e2 = 0;
  double dir_at_fpir_1e3 = 0, threshold_fpir_1e3 = 0;
};

IdentificationMetrics ComputeIdentification(const std::vector<ProbeOutcome>& probes,
                                            int64_t gallery_size);

}  // namespace likeness::eval
