#include "openset/impostor_model.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>

namespace likeness::openset {

Result<ImpostorModel> FitImpostorModel(std::span<const float> impostor_scores) {
  const int64_t n = static_cast<int64_t>(impostor_scores.size());
  if (n < kMinTailScores)
    return Status::InvalidArgument("need at least " + std::to_string(kMinTailScores) +
                                   " impostor scores, got " + std::to_string(n));
  std::vector<float> sorted(impostor_scores.begin(), impostor_scores.end());
  std::sort(sorted.begin(), sorted.end(), std::greater<>());
  const int64_t tail =
      std::min(n, std::max(kMinTailScores, static_cast<int64_t>(std::ceil(kTailShare * n))));
  ImpostorModel m;
  m.scores = n;
  m.top.assign(sorted.begin(), sorted.begin() + tail);
  m.tail_start = m.top.back();
  for (int q = 0; q < kBodyQuantiles; ++q) {
    const auto i =
        static_cast<size_t>(std::llround(static_cast<double>(q) * (n - 1) / (kBodyQuantiles - 1)));
    m.body.push_back(sorted[i]);
  }
  m.tail_share = static_cast<double>(tail) / static_cast<double>(n);
  double excess = 0;
  for (float s : m.top) excess += s - m.tail_start;
  // A degenerate tail (all equal) gets a small positive scale so FMR still decreases.
  m.tail_scale = std::max(1e-4, excess / static_cast<double>(tail));
  return m;
}

double FalseMatchRate(const ImpostorModel& m, double threshold) {
  if (m.scores == 0) return 0;
  if (threshold <= m.tail_start) {
    // Below the tail: interpolate the sample's quantiles (never below the tail's share).
    if (m.body.size() < 2) return m.tail_share;
    const double step = 1.0 / static_cast<double>(m.body.size() - 1);
    for (size_t i = 1; i < m.body.size(); ++i) {
      if (threshold < m.body[i]) continue;
      const double hi = m.body[i - 1], lo = m.body[i];
      const double f = hi > lo ? (hi - threshold) / (hi - lo) : 1.0;
      return std::max(m.tail_share, step * (static_cast<double>(i - 1) + std::clamp(f, 0.0, 1.0)));
    }
    return 1.0;
  }
  // Exponential tail: P(S >= t) = share * exp(-(t - u) / beta).
  return m.tail_share * std::exp(-(threshold - m.tail_start) / m.tail_scale);
}

double ExpectedFalseMatches(const ImpostorModel& model, double threshold, int64_t gallery_size) {
  return static_cast<double>(std::max<int64_t>(0, gallery_size)) * FalseMatchRate(model, threshold);
}

double FalsePositiveIdentificationRate(const ImpostorModel& model, double threshold,
                                       int64_t gallery_size) {
  const double fmr = FalseMatchRate(model, threshold);
  return -std::expm1(static_cast<double>(gallery_size) * std::log1p(-std::min(fmr, 1.0 - 1e-15)));
}

double ThresholdForFpir(const ImpostorModel& model, double target_fpir, int64_t gallery_size) {
  double lo = model.tail_start, hi = 1.0;
  if (FalsePositiveIdentificationRate(model, lo, gallery_size) <= target_fpir) return lo;
  while (hi - lo > 1e-4) {
    const double mid = 0.5 * (lo + hi);
    if (FalsePositiveIdentificationRate(model, mid, gallery_size) <= target_fpir)
      hi = mid;
    else
      lo = mid;
  }
  return hi;
}

}  // namespace likeness::openset
