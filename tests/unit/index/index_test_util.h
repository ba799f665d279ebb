// Helpers shared by the index tests: synthetic embeddings, our-style ids, brute-force search, file
// bytes.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <numeric>
#include <random>
#include <span>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "index/vector_index.h"

namespace likeness::index::testutil {

// n unit vectors in dim dimensions, each uniform on the sphere.
inline std::vector<float> RandomUnitVectors(size_t n, int dim, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> out(n * static_cast<size_t>(dim));
  for (size_t i = 0; i < n; ++i) {
    float* row = out.data() + i * static_cast<size_t>(dim);
    float norm = 0;
    for (int j = 0; j < dim; ++j) {
      row[j] = normal(rng);
      norm += row[j] * row[j];
    }
    const float inv = 1.0f / std::sqrt(norm);
    for (int j = 0; j < dim; ++j) row[j] *= inv;
  }
  return out;
}

// Face-like data: n unit vectors around `clusters` random centres ("identities"); `noise` is the
// per-coordinate spread relative to a centre coordinate (1.0 puts two faces of one identity near
// cosine 0.5).
inline std::vector<float> ClusteredUnitVectors(size_t n, int dim, int clusters, float noise,
                                               uint32_t seed) {
  const std::vector<float> centres = RandomUnitVectors(static_cast<size_t>(clusters), dim, seed);
  std::mt19937 rng(seed + 1);
  std::normal_distribution<float> normal(0.0f, noise / std::sqrt(static_cast<float>(dim)));
  std::uniform_int_distribution<int> pick(0, clusters - 1);
  std::vector<float> out(n * static_cast<size_t>(dim));
  for (size_t i = 0; i < n; ++i) {
    const float* centre = centres.data() + static_cast<size_t>(pick(rng)) * dim;
    float* row = out.data() + i * static_cast<size_t>(dim);
    float norm = 0;
    for (int j = 0; j < dim; ++j) {
      row[j] = centre[j] + normal(rng);
      norm += row[j] * row[j];
    }
    const float inv = 1.0f / std::sqrt(norm);
    for (int j = 0; j < dim; ++j) row[j] *= inv;
  }
  return out;
}

// Distinct, large, non-contiguous ids like the catalog's.
inline std::vector<int64_t> SparseIds(size_t n, uint32_t seed) {
  constexpr int64_t kBase = int64_t{1} << 40;
  constexpr int64_t kStride = 7'919'993;
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> jitter(0, kStride - 1);
  std::vector<int64_t> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = kBase + static_cast<int64_t>(i) * kStride + jitter(rng);
  std::shuffle(ids.begin(), ids.end(), rng);
  return ids;
}

inline std::span<const float> Row(const std::vector<float>& data, size_t i, int dim) {
  return std::span<const float>(data).subspan(i * static_cast<size_t>(dim),
                                              static_cast<size_t>(dim));
}

// Exact top-k by inner product over rows of `data` whose id is not in `skip`, best first.
inline std::vector<Hit> BruteForce(const std::vector<float>& data, const std::vector<int64_t>& ids,
                                   std::span<const float> query, int k,
                                   const std::unordered_set<int64_t>& skip = {}) {
  const int dim = static_cast<int>(query.size());
  std::vector<Hit> all;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (skip.count(ids[i]) > 0) continue;
    const std::span<const float> row = Row(data, i, dim);
    all.push_back(Hit{ids[i], std::inner_product(row.begin(), row.end(), query.begin(), 0.0f)});
  }
  const size_t keep = std::min(all.size(), static_cast<size_t>(k));
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(keep), all.end(),
                    [](const Hit& a, const Hit& b) { return a.score > b.score; });
  all.resize(keep);
  return all;
}

inline std::unique_ptr<VectorIndex> MustCreate(std::string_view factory, int dim) {
  Result<std::unique_ptr<VectorIndex>> index = CreateIndex(factory, dim);
  EXPECT_TRUE(index.ok()) << index.status().ToString();
  return index.ok() ? std::move(index).value() : nullptr;
}

inline std::vector<char> ReadBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void WriteBytes(const std::filesystem::path& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Whether the raw bytes of `vector` appear anywhere in `bytes`.
inline bool ContainsFloats(const std::vector<char>& bytes, std::span<const float> vector) {
  const auto* begin = reinterpret_cast<const char*>(vector.data());
  const char* end = begin + vector.size_bytes();
  return std::search(bytes.begin(), bytes.end(), begin, end) != bytes.end();
}

}  // namespace likeness::index::testutil
