// Search restricted to a set of sources (a tenant's own and those shared to it).
//
// The index holds every tenant's faces in one space, so a tenant's nearest faces may sit below any
// number of other tenants' faces. The scoped search asks the index for more than top_k, keeps the
// hits from visible sources, and widens the request (x4 each round) until it has top_k of them,
// the hits fall below min_score, or it has asked for the whole index: with an exact ("Flat")
// index the result is exactly the unscoped search over the visible faces alone. With an
// approximate index (HNSW, IVF) it is as approximate as an unscoped search.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/search.h"

namespace likeness::engine {

// SearchEmbedding over faces of options.visible_sources only (REQUIRES: it is set and ascending).
Result<std::vector<Match>> SearchEmbeddingWithin(Engine& engine, std::span<const float> embedding,
                                                 const SearchOptions& options);

// Searchable faces held in the given sources (the gallery a scoped search runs over).
Result<int64_t> VisibleGallerySize(Engine& engine, std::span<const int64_t> source_ids);

}  // namespace likeness::engine
