// Incremental density clustering of faces into people (DBSCAN-style core points, as photo managers
// do), with one hard rule: two faces of one photo are never the same person.
//
// A face is a core point when at least `min_points` faces (itself included) lie within `similarity`
// of it; faces of the same photo are never neighbours. New people grow from core points, joined
// best edge first (core-core pairs sorted by cosine, descending) with a union that is refused when
// the two groups share a photo; then border faces join the best-scoring neighbouring core's person
// when that person has no face in their photo. Faces that are neither stay unassigned (noise).
//
// Incremental: faces already assigned to a person keep that person (so merges, splits and names
// made by people survive); an unassigned face first tries to join an existing person through an
// assigned core neighbour, and only the rest are clustered into new people.
//
// Cost: brute-force neighbour search, O(N^2 * d) for N faces; fine to a few tens of thousands of
// faces (an index-backed neighbour search is the next step beyond that).
#pragma once

#include <cstdint>
#include <map>
#include <vector>

namespace likeness::openset {

// Cosine at or above which two faces are density neighbours. Stricter than the search match
// threshold: merging two people is worse than leaving a face unassigned.
inline constexpr float kDefaultClusterSimilarity = 0.5f;
// Faces (including the point itself) within reach for a core point.
inline constexpr int kDefaultClusterMinPoints = 3;

struct ClusterFace {
  int64_t id = 0;
  int64_t image_id = 0;
  const float* embedding = nullptr;  // dim floats, L2-normalised; owned by the caller
  int64_t person = 0;                // existing person, 0 when unassigned
};

struct ClusterOptions {
  float similarity = kDefaultClusterSimilarity;
  int min_points = kDefaultClusterMinPoints;
};

struct ClusterResult {
  std::map<int64_t, int64_t> attached;           // unassigned face id -> existing person
  std::vector<std::vector<int64_t>> new_people;  // face ids of each new person
  int64_t noise = 0;                             // faces left unassigned
};

// REQUIRES: dim >= 1; ids unique.
ClusterResult ClusterFaces(const std::vector<ClusterFace>& faces, int dim,
                           const ClusterOptions& options = {});

// Purity and completeness of a clustering against known identities (for the dev-set tests and
// reports). Purity: share of clustered faces whose cluster's majority identity is theirs.
// Completeness (pairwise recall): share of same-identity face pairs that ended in one cluster.
struct ClusterQuality {
  double purity = 0, completeness = 0, clustered_share = 0;
  int64_t clusters = 0;
};
ClusterQuality MeasureClusters(const std::map<int64_t, int64_t>& face_to_cluster,
                               const std::map<int64_t, int64_t>& face_to_identity);

}  // namespace likeness::openset
