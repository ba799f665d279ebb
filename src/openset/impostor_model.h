// Gallery-size-aware thresholds. A 1:1 false-match rate does not transfer to 1:N: a stranger
// searched against N faces gets N chances to false-match, so the false-positive identification
// rate (FPIR) at a threshold t is about 1 - (1 - FMR(t))^N, and the expected number of false
// matches N * FMR(t). This file models FMR(t), the per-comparison impostor tail, from a sample of
// impostor scores: an exponential tail fitted to the sample's top scores (peaks over threshold),
// which also extrapolates beyond the largest score seen (FMRs far below 1 / sample size).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "likeness/status.h"

namespace likeness::openset {

// Share of the impostor sample that the exponential tail is fitted to (the top 1 %).
inline constexpr double kTailShare = 0.01;
// At least this many scores in the tail fit; smaller samples use the top scores available.
inline constexpr int64_t kMinTailScores = 20;

struct ImpostorModel {
  int64_t scores = 0;      // impostor comparisons in the sample
  double tail_start = 0;   // u: scores at or above it form the fitted tail
  double tail_share = 0;   // P(score >= u)
  double tail_scale = 0;   // beta: mean excess over u (exponential tail)
  std::vector<float> top;  // the tail's scores, descending (kept for reports)
  // Below the tail: the sample's quantiles, body[i] = the score exceeded by i / (kBodyQuantiles-1)
  // of the sample (descending), interpolated linearly.
  std::vector<float> body;
};

inline constexpr int kBodyQuantiles = 101;

// Fits the model. InvalidArgument when fewer than kMinTailScores scores are given.
Result<ImpostorModel> FitImpostorModel(std::span<const float> impostor_scores);

// Per-comparison false-match rate at `threshold` (score >= threshold counts as a match).
double FalseMatchRate(const ImpostorModel& model, double threshold);

// Expected false matches of one stranger's search over a gallery of `gallery_size` faces:
// gallery_size * FMR(threshold). The number search results report next to each decision.
double ExpectedFalseMatches(const ImpostorModel& model, double threshold, int64_t gallery_size);

// FPIR for one search over `gallery_size` faces, assuming independent comparisons.
double FalsePositiveIdentificationRate(const ImpostorModel& model, double threshold,
                                       int64_t gallery_size);

// The lowest threshold whose FPIR over `gallery_size` faces is at most `target_fpir` (bisection to
// 1e-4). REQUIRES: 0 < target_fpir < 1, gallery_size >= 1.
double ThresholdForFpir(const ImpostorModel& model, double target_fpir, int64_t gallery_size);

}  // namespace likeness::openset
