#include "eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace likeness::eval {
namespace {

double AccuracyAt(const std::vector<const ScoredPair*>& pairs, double threshold) {
  if (pairs.empty()) return 0;
  int64_t correct = 0;
  for (const auto* p : pairs) correct += ((p->score >= threshold) == p->same);
  return static_cast<double>(correct) / pairs.size();
}

double BestThresholdOf(const std::vector<const ScoredPair*>& pairs, double* best_accuracy) {
  std::vector<float> scores;
  for (const auto* p : pairs) scores.push_back(p->score);
  std::sort(scores.begin(), scores.end());
  scores.erase(std::unique(scores.begin(), scores.end()), scores.end());
  double best_t = 0, best_a = -1;
  std::vector<double> candidates;
  if (!scores.empty()) candidates.push_back(scores.front() - 1e-4);
  for (size_t i = 0; i + 1 < scores.size(); ++i)
    candidates.push_back(0.5 * (scores[i] + scores[i + 1]));
  if (!scores.empty()) candidates.push_back(scores.back() + 1e-4);
  for (double t : candidates) {
    const double a = AccuracyAt(pairs, t);
    if (a > best_a) best_a = a, best_t = t;
  }
  if (best_accuracy) *best_accuracy = std::max(0.0, best_a);
  return best_t;
}

}  // namespace

double BestThreshold(const std::vector<ScoredPair>& pairs, double* best_accuracy) {
  std::vector<const ScoredPair*> ptrs;
  for (const auto& p : pairs) ptrs.push_back(&p);
  return BestThresholdOf(ptrs, best_accuracy);
}

double RocAuc(const std::vector<ScoredPair>& pairs) {
  // Mann-Whitney U with ties counted half.
  std::vector<std::pair<float, bool>> s;
  for (const auto& p : pairs) s.push_back({p.score, p.same});
  std::sort(s.begin(), s.end());
  double rank_sum = 0;
  int64_t pos = 0, neg = 0;
  for (size_t i = 0; i < s.size();) {
    size_t j = i;
    while (j < s.size() && s[j].first == s[i].first) ++j;
    const double avg_rank = (i + 1 + j) / 2.0;
    for (size_t k = i; k < j; ++k) {
      if (s[k].second)
        rank_sum += avg_rank, ++pos;
      else
        ++neg;
    }
    i = j;
  }
  if (pos == 0 || neg == 0) return 0;
  return (rank_sum - pos * (pos + 1) / 2.0) / (static_cast<double>(pos) * neg);
}

double TarAtFar(const std::vector<ScoredPair>& pairs, double far, double* threshold) {
  std::vector<float> impostor, genuine;
  for (const auto& p : pairs) (p.same ? genuine : impostor).push_back(p.score);
  if (impostor.empty() || genuine.empty()) return 0;
  std::sort(impostor.begin(), impostor.end(), std::greater<>());
  // Allowed false accepts: floor(far * n). The threshold sits just above the next impostor score.
  const size_t allowed = static_cast<size_t>(std::floor(far * impostor.size()));
  const double t = allowed < impostor.size() ? std::nextafter(impostor[allowed], 2.0f) : -2.0;
  int64_t accepted = 0;
  for (float g : genuine) accepted += g >= t;
  if (threshold) *threshold = t;
  return static_cast<double>(accepted) / genuine.size();
}

VerificationMetrics ComputeVerification(const std::vector<ScoredPair>& pairs, int folds) {
  VerificationMetrics m;
  m.pairs = static_cast<int64_t>(pairs.size());
  for (const auto& p : pairs) (p.same ? m.genuine : m.impostor)++;
  std::vector<double> accs, thresholds;
  for (int f = 0; f < folds; ++f) {
    std::vector<const ScoredPair*> train, test;
    for (const auto& p : pairs) (p.fold == f ? test : train).push_back(&p);
    if (test.empty() || train.empty()) continue;
    const double t = BestThresholdOf(train, nullptr);
    thresholds.push_back(t);
    accs.push_back(AccuracyAt(test, t));
  }
  if (!accs.empty()) {
    m.accuracy_mean = std::accumulate(accs.begin(), accs.end(), 0.0) / accs.size();
    double var = 0;
    for (double a : accs) var += (a - m.accuracy_mean) * (a - m.accuracy_mean);
    m.accuracy_std = std::sqrt(var / accs.size());
    m.threshold_mean =
        std::accumulate(thresholds.begin(), thresholds.end(), 0.0) / thresholds.size();
  }
  m.tar_at_far_1e3 = TarAtFar(pairs, 1e-3, &m.far_1e3_threshold);
  m.roc_auc = RocAuc(pairs);
  return m;
}

IdentificationMetrics ComputeIdentification(const std::vector<ProbeOutcome>& probes,
                                            int64_t gallery_size) {
  IdentificationMetrics m;
  m.gallery_size = gallery_size;
  std::vector<float> nonmated_best;
  int64_t r1 = 0, r5 = 0;
  for (const auto& p : probes) {
    if (p.mated) {
      ++m.mated_probes;
      r1 += p.mate_rank == 1;
      r5 += p.mate_rank >= 1 && p.mate_rank <= 5;
    } else {
      ++m.nonmated_probes;
      nonmated_best.push_back(p.best_nonmate_score);
    }
  }
  if (m.mated_probes > 0) {
    m.rank1 = static_cast<double>(r1) / m.mated_probes;
    m.rank5 = static_cast<double>(r5) / m.mated_probes;
  }
  std::sort(nonmated_best.begin(), nonmated_best.end(), std::greater<>());
  auto dir_at = [&](double fpir, double* threshold) {
    if (nonmated_best.empty() || m.mated_probes == 0) return 0.0;
    const size_t allowed = static_cast<size_t>(std::floor(fpir * nonmated_best.size()));
    const double t =
        allowed < nonmated_best.size() ? std::nextafter(nonmated_best[allowed], 2.0f) : -2.0;
    *threshold = t;
    int64_t hits = 0;
    for (const auto& p : probes) hits += p.mated && p.mate_rank == 1 && p.mate_score >= t;
    return static_cast<double>(hits) / m.mated_probes;
  };
  m.dir_at_fpir_1e2 = dir_at(1e-2, &m.threshold_fpir_1e2);
  m.dir_at_fpir_1e3 = dir_at(1e-3, &m.threshold_fpir_1e3);
  return m;
}

}  // namespace likeness::eval
