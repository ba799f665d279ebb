// Hubness correction for open-set search: per-face neighbourhood means kept up to date as faces are
// added to and erased from a gallery, and the corrected score
//   score(p, g) = 2 * cos(p, g) - mean_k(g) - mean_k(p)
// where mean_k(g) is the mean cosine of g's k nearest other gallery faces and mean_k(p) the mean
// cosine of the probe's k nearest gallery faces. Faces in dense regions ("hubs", which are near
// everybody and cause most confident false matches) are penalised; isolated faces are not.
//
// Exact, brute force: no approximation. Costs, for a gallery of N faces of dimension d:
//   Add:    O(N * d) to score the new face against all others, plus O(k) per face whose k-list
//           the newcomer enters.
//   Remove: O(1) for unaffected faces; each face that had the removed face among its k nearest
//           neighbours (its reverse neighbours: k on average, more for hubs) is recomputed from
//           scratch, O(N * d) each.
//   Mean lookup: O(1). ProbeMean: O(N * d) (callers with an index may pass the probe's top-k
//           cosines to MeanOfTopK instead).
// Memory: N * (d + 2k) floats. Thread safety: none; callers serialise access.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "likeness/status.h"

namespace likeness::openset {

// The k of the reference measurement (5 nearest gallery neighbours).
inline constexpr int kDefaultHubnessK = 5;

// 2*cos - gallery_mean - probe_mean. Raw cosine stays available to every caller; this is additive.
inline float HubnessScore(float cosine, float gallery_mean, float probe_mean) {
  return 2.0f * cosine - gallery_mean - probe_mean;
}

// Mean of the k largest values of `cosines` (all of them when fewer than k; 0 when empty).
float MeanOfTopK(std::span<const float> cosines, int k);

class NeighbourhoodStats {
 public:
  // REQUIRES: dim >= 1, k >= 1.
  NeighbourhoodStats(int dim, int k = kDefaultHubnessK);

  int k() const { return k_; }
  int64_t size() const { return static_cast<int64_t>(faces_.size()); }
  bool Contains(int64_t id) const { return faces_.contains(id); }

  // embedding: dim floats, L2-normalised. InvalidArgument for a wrong size; AlreadyExists for an id
  // already present.
  Status Add(int64_t id, std::span<const float> embedding);
  // NotFound for an unknown id.
  Status Remove(int64_t id);

  // Mean cosine of the face's k nearest other gallery faces (fewer when the gallery is smaller; 0
  // when it is alone). NotFound for an unknown id.
  Result<float> Mean(int64_t id) const;
  // Mean cosine of a probe's k nearest gallery faces, leaving out `exclude_id` (e.g. the probe's
  // own entry when the probe is itself in the gallery; pass -1 for none... any id not present
  // works).
  float ProbeMean(std::span<const float> probe, int64_t exclude_id) const;

  // Persistence (neighbourhood_stats_file.cc): every face's embedding and k-list, so a reload costs
  // O(N * (d + k)) instead of the O(N^2 * d) of adding the faces again. `tag` is the caller's
  // freshness stamp (the engine passes the catalog generation). Layout: magic "LKHUB001", u64 tag,
  // u32 dim, u32 k, u64 count, per face {i64 id, dim f32, u32 n, n x {i64 id, f32 cos}}, then the
  // SHA-256 of every byte before it. Written to a temporary file (mode 0600: embeddings are
  // personal data) and renamed over `path`. Errors: IOError.
  Status Save(const std::filesystem::path& path, uint64_t tag) const;
  struct Loaded {
    uint64_t tag = 0;
    std::unique_ptr<NeighbourhoodStats> stats;
  };
  // NotFound (no file), Corruption (bad magic, checksum or sizes), IOError.
  static Result<Loaded> Load(const std::filesystem::path& path);

  struct Neighbour {
    int64_t id;
    float cosine;
  };

 private:
  struct Entry {
    std::vector<float> embedding;
    std::vector<Neighbour> nearest;  // best first, at most k
    float mean = 0;
  };
  float Cos(std::span<const float> a, std::span<const float> b) const;
  void Recompute(int64_t id, Entry& entry) const;
  static void UpdateMean(Entry& entry);

  int dim_, k_;
  std::unordered_map<int64_t, Entry> faces_;
};

}  // namespace likeness::openset
