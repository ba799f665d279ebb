#include "engine/scoped_search.h"

#include <algorithm>

namespace likeness::engine {
namespace {

// The first request asks for this many times top_k (at least kMinFetch), then grows by kGrowth.
constexpr int64_t kOverFetch = 4;
constexpr int64_t kMinFetch = 64;
constexpr int64_t kGrowth = 4;

}  // namespace

Result<std::vector<Match>> SearchEmbeddingWithin(Engine& engine, std::span<const float> embedding,
                                                 const SearchOptions& options) {
  const std::vector<int64_t>& visible = *options.visible_sources;
  const int64_t want = std::max(1, options.top_k);
  const int64_t total = engine.index().size();
  std::vector<Match> matches;
  if (visible.empty() || total == 0) return matches;
  int64_t fetch = std::min(total, std::max(want * kOverFetch, kMinFetch));
  for (;;) {
    ASSIGN_OR_RETURN(auto hits, engine.index().Search(embedding, static_cast<int>(fetch)));
    const auto& list = hits.at(0);
    std::vector<int64_t> ids;
    std::vector<float> scores;
    bool below_floor = false;
    for (const auto& h : list) {
      if (h.score < options.min_score) {
        below_floor = true;
        break;
      }
      ids.push_back(h.id);
      scores.push_back(h.score);
    }
    ASSIGN_OR_RETURN(auto rows, engine.catalog().GetFacesWithProvenance(ids));
    matches.clear();
    size_t j = 0;
    for (auto& row : rows) {  // rows follow ids' order, missing ids omitted
      while (j < ids.size() && ids[j] != row.face.id) ++j;
      if (j == ids.size()) break;
      if (!std::binary_search(visible.begin(), visible.end(), row.source.id)) continue;
      Match m;
      m.score = scores[j];
      m.is_match = m.score >= options.match_threshold.value_or(DefaultThreshold(options.scoring));
      m.face = std::move(row);
      matches.push_back(std::move(m));
      if (static_cast<int64_t>(matches.size()) == want) break;
    }
    const bool exhausted =
        below_floor || static_cast<int64_t>(list.size()) < fetch || fetch >= total;
    if (static_cast<int64_t>(matches.size()) >= want || exhausted) break;
    fetch = std::min(total, fetch * kGrowth);
  }
  return matches;
}

Result<int64_t> VisibleGallerySize(Engine& engine, std::span<const int64_t> source_ids) {
  ASSIGN_OR_RETURN(catalog::CatalogStats stats, engine.catalog().StatsOfSources(source_ids));
  return stats.searchable_faces;
}

}  // namespace likeness::engine
