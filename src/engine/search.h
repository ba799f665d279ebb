// 1:N search and 1:1 verification of probe photos against the catalog.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "engine/engine.h"

namespace likeness::engine {

// Cosine similarity at or above which two faces are declared the same person (open-set decision).
// Measured on the dev sets (bench/README.md, "Decision threshold"): the deepface pairs reach a
// false-match rate of 1e-3 at 0.461 and ORL 1:N an FPIR of 1 % at 0.446 (40-person gallery).
inline constexpr float kDefaultMatchThreshold = 0.45f;

struct SearchOptions {
  int top_k = 10;
  float min_score = -1.0f;  // matches below are not listed
  bool largest_only = false;
  float match_threshold = kDefaultMatchThreshold;
  // The sources whose faces may be returned, ascending; null means every source. A tenant's search
  // sets it to the sources the tenant owns or that are shared to it: no face outside the set is
  // ever returned, however close, and gallery_size counts only the set (see scoped_search.h).
  std::shared_ptr<const std::vector<int64_t>> visible_sources;
};

struct Match {
  float score = 0;
  bool is_match = false;  // score >= threshold
  catalog::FaceWithProvenance face;
};

struct ProbeFace {
  BoxF box;  // in the probe's original pixels
  FaceQuality quality;
  Embedding embedding;
  std::vector<Match> matches;  // best first
  bool matched = false;        // the best match clears the threshold
};

struct SearchResponse {
  // Of the probe bytes (audit uses this; the probe itself is never stored).
  std::string probe_sha256;
  int width = 0, height = 0;
  float threshold = kDefaultMatchThreshold;
  int64_t gallery_size = 0;  // searchable faces in the index when the search ran
  // From `likeness calibrate` (negative when the catalog was never calibrated): how many false
  // matches one stranger's search is expected to raise at `threshold` over this gallery, and the
  // chance it raises any (FPIR).
  double expected_false_matches = -1, false_positive_identification_rate = -1;
  std::vector<ProbeFace> faces;  // largest first
};

// Detects and embeds the faces of a probe image (bytes of any supported format). Boxes in original
// pixels. Errors: the decoder's (InvalidArgument, ResourceExhausted, Unsupported).
Result<SearchResponse> AnalyzeProbe(Engine& engine, vision::FaceAnalyzer& analyzer,
                                    std::span<const uint8_t> bytes, bool largest_only);

// AnalyzeProbe, then the index's top-k for each face, joined with provenance.
Result<SearchResponse> SearchProbe(Engine& engine, vision::FaceAnalyzer& analyzer,
                                   std::span<const uint8_t> bytes, const SearchOptions& options);

// Looks up the nearest catalog faces for an embedding.
Result<std::vector<Match>> SearchEmbedding(Engine& engine, std::span<const float> embedding,
                                           const SearchOptions& options);

struct VerifyResponse {
  float score = 0;
  bool same_person = false;
  float threshold = kDefaultMatchThreshold;
  ProbeFace a, b;  // the largest face of each image
};

// Compares the largest face of each image. InvalidArgument if either image has no face.
Result<VerifyResponse> VerifyImages(Engine& engine, vision::FaceAnalyzer& analyzer,
                                    std::span<const uint8_t> image_a,
                                    std::span<const uint8_t> image_b, float threshold);

float Cosine(std::span<const float> a, std::span<const float> b);

}  // namespace likeness::engine
