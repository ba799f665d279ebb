// A search backend outside this process: a cluster router installs one on its engine
// (Engine::set_remote_searcher) and every search path (CLI, HTTP API, governance) then asks the
// cluster's shards instead of the local index. Returned matches carry cluster-wide face ids and
// their provenance as the owning shard holds it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/search.h"

namespace likeness::engine {

class RemoteSearcher {
 public:
  virtual ~RemoteSearcher() = default;
  // The best options.top_k matches over every shard, best first, at options.min_score or above,
  // is_match set against options.match_threshold. Errors: FailedPrecondition naming a shard that
  // no replica answers for (a search never answers from part of the catalog), IOError.
  virtual Result<std::vector<Match>> Search(std::span<const float> embedding,
                                            const SearchOptions& options) = 0;
  // Searchable faces over every shard, as the last search (or status probe) counted them.
  virtual Result<int64_t> GallerySize() = 0;
  // The JPEG crop of a face (cluster-wide id) rendered by the shard that holds it
  // (engine/stored_media.h). NotFound for a face no shard holds.
  virtual Result<std::string> FaceCrop(int64_t face_id) = 0;
};

}  // namespace likeness::engine
