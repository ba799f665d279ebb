#include "eval/identify_scoring.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "openset/neighbourhood_stats.h"

namespace likeness::eval {
namespace {

float Dot(const Embedding& a, const Embedding& b) {
  double s = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return static_cast<float>(s);
}

// Scores of one probe against every gallery entry (index-aligned), leaving out `excluded`.
std::vector<float> ScoresOf(const std::vector<GalleryTemplate>& gallery, const Embedding& probe,
                            ScoreKind kind, const openset::NeighbourhoodStats& stats,
                            int excluded) {
  std::vector<float> s(gallery.size(), -1e9f);
  const float probe_mean = kind == ScoreKind::kHubness ? stats.ProbeMean(probe, excluded) : 0.0f;
  for (size_t g = 0; g < gallery.size(); ++g) {
    if (static_cast<int>(g) == excluded) continue;
    const float c = Dot(probe, gallery[g].embedding);
    s[g] = kind == ScoreKind::kHubness
               ? openset::HubnessScore(c, *stats.Mean(static_cast<int64_t>(g)), probe_mean)
               : c;
  }
  return s;
}

}  // namespace

Embedding WeightedTemplate(const std::vector<const Embedding*>& embeddings,
                           const std::vector<float>& weights) {
  if (embeddings.empty()) return {};
  Embedding t(embeddings.front()->size(), 0.0f);
  for (size_t i = 0; i < embeddings.size(); ++i) {
    const float w = std::max(kMinTemplateWeight, i < weights.size() ? weights[i] : 1.0f);
    for (size_t d = 0; d < t.size(); ++d) t[d] += w * (*embeddings[i])[d];
  }
  double n = 0;
  for (float x : t) n += static_cast<double>(x) * x;
  n = std::sqrt(n);
  if (n > 0)
    for (auto& x : t) x = static_cast<float>(x / n);
  return t;
}

std::vector<ProbeOutcome> ScoreProbes(const std::vector<GalleryTemplate>& gallery,
                                      const std::vector<Probe>& probes, ScoreKind kind,
                                      int hubness_k) {
  std::vector<ProbeOutcome> out;
  if (gallery.empty()) return out;
  const int dim = static_cast<int>(gallery.front().embedding.size());
  openset::NeighbourhoodStats stats(dim, std::max(1, hubness_k));
  if (kind == ScoreKind::kHubness)
    for (size_t g = 0; g < gallery.size(); ++g)
      (void)stats.Add(static_cast<int64_t>(g), gallery[g].embedding);
  std::map<int, int> entry_of;  // identity -> gallery index
  for (size_t g = 0; g < gallery.size(); ++g) entry_of[gallery[g].identity] = static_cast<int>(g);
  // Group probes by identity so each identity's template is taken out of the stats once.
  std::map<int, std::vector<const Probe*>> by_identity;
  for (const auto& p : probes) by_identity[p.identity].push_back(&p);
  for (const auto& [identity, members] : by_identity) {
    auto it = entry_of.find(identity);
    const int mate = it == entry_of.end() ? -1 : it->second;
    std::vector<std::vector<float>> with(members.size());
    for (size_t i = 0; i < members.size(); ++i)
      if (mate >= 0) with[i] = ScoresOf(gallery, *members[i]->embedding, kind, stats, -1);
    // The non-mated search: the mate's template is gone, so are its effects on the means.
    if (mate >= 0 && kind == ScoreKind::kHubness) (void)stats.Remove(mate);
    for (size_t i = 0; i < members.size(); ++i) {
      const auto without = ScoresOf(gallery, *members[i]->embedding, kind, stats, mate);
      ProbeOutcome non;
      non.best_nonmate_score = *std::max_element(without.begin(), without.end());
      if (mate >= 0) {
        const auto& s = with[i];
        ProbeOutcome m;
        m.mated = true;
        m.mate_score = s[mate];
        float best_other = -1e9f;
        int above = 0;
        for (size_t g = 0; g < s.size(); ++g) {
          if (static_cast<int>(g) == mate) continue;
          best_other = std::max(best_other, s[g]);
          above += s[g] > s[mate];
        }
        m.best_nonmate_score = best_other;
        m.mate_rank = 1 + above;
        out.push_back(m);
      }
      out.push_back(non);
    }
    if (mate >= 0 && kind == ScoreKind::kHubness)
      (void)stats.Add(mate, gallery[static_cast<size_t>(mate)].embedding);
  }
  return out;
}

}  // namespace likeness::eval
