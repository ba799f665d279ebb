// Float arrays as SQLite blobs: packed IEEE-754 float32, little-endian, whatever the host order.
// Used for embeddings (kEmbeddingDim floats) and the five alignment points (10 floats).
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "likeness/status.h"

namespace likeness::catalog {

std::vector<std::byte> EncodeFloatBlob(std::span<const float> values);

// Decodes into `out`, which must hold exactly blob.size() / 4 floats. Corruption on a size
// mismatch. Works for any alignment of `blob` (SQLite does not promise one).
Status DecodeFloatBlob(std::span<const std::byte> blob, std::span<float> out);

}  // namespace likeness::catalog
