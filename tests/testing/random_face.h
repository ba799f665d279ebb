// A synthetic catalog face for engine tests: a random unit embedding (Gaussian, normalised), a
// fixed box and points, quality 0.9, searchable. Header-only (tests link the catalog themselves).
#pragma once

#include <cmath>
#include <random>

#include "catalog/catalog.h"

namespace likeness::testing {

inline catalog::FaceRecord RandomFace(std::mt19937& rng) {
  std::normal_distribution<float> n(0.0f, 1.0f);
  catalog::FaceRecord f;
  f.box = {10, 10, 60, 60};
  for (auto& p : f.points) p = {30, 30};
  f.quality.overall = 0.9f;
  f.searchable = true;
  f.embedding.resize(kEmbeddingDim);
  float norm = 0;
  for (float& v : f.embedding) {
    v = n(rng);
    norm += v * v;
  }
  for (float& v : f.embedding) v /= std::sqrt(norm);
  return f;
}

}  // namespace likeness::testing
