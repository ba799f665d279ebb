// Faces of a video belong to tracks (one person as the tracker linked them): whatever reaches one
// face of a track (erasure by face, subject, opt-out, retention or person) reaches the whole track.
#pragma once

#include <cstdint>
#include <vector>

#include "catalog/catalog.h"
#include "likeness/status.h"

namespace likeness::governance {

// The given face ids plus every face sharing a video track with one of them, ascending, without
// duplicates. Ids that name no face are kept as given (the caller reports them).
Result<std::vector<int64_t>> WithWholeTracks(catalog::Catalog& catalog,
                                             std::vector<int64_t> face_ids);

}  // namespace likeness::governance
