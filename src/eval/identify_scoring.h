// Open-set identification outcomes from embeddings: raw cosine or hubness-corrected scores
// (openset::HubnessScore), for galleries of single images or quality-weighted templates.
#pragma once

#include <vector>

#include "eval/metrics.h"
#include "likeness/types.h"

namespace likeness::eval {

enum class ScoreKind { kRawCosine, kHubness };

struct GalleryTemplate {
  int identity = 0;
  Embedding embedding;  // L2-normalised
};

struct Probe {
  int identity = 0;
  const Embedding* embedding = nullptr;
};

// Each probe yields two outcomes: mated (its identity's template in the gallery) and non-mated
// (the same search with its identity's template left out, gallery neighbourhood means and the
// probe's mean recomputed without it). Probes whose identity has no template give only the
// non-mated outcome. hubness_k: neighbours for the corrected score (openset::kDefaultHubnessK).
std::vector<ProbeOutcome> ScoreProbes(const std::vector<GalleryTemplate>& gallery,
                                      const std::vector<Probe>& probes, ScoreKind kind,
                                      int hubness_k);

// Quality-weighted mean of embeddings, renormalised (uniform when every weight is 0). Weights are
// floored at kMinTemplateWeight so a poor image still counts a little.
inline constexpr float kMinTemplateWeight = 0.05f;
Embedding WeightedTemplate(const std::vector<const Embedding*>& embeddings,
                           const std::vector<float>& weights);

}  // namespace likeness::eval
