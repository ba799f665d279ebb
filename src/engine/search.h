// 1:N search and 1:1 verification of probe photos against the catalog.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "engine/engine.h"

namespace likeness::engine {

// Cosine similarity at or above which two faces are declared the same person (open-set decision).
// Measured on the dev sets (bench/README.md, "Decision threshold"): the deepface pairs reach a
// false-match rate of 1e-3 at 0.461 and ORL 1:N an FPIR of 1 % at 0.446 (40-person gallery).
inline constexpr float kDefaultMatchThreshold = 0.45f;

// How a probe is scored against a gallery face.
//   kCosine:  cos(p, g), the embedding's own similarity.
//   kHubness: 2·cos(p, g) − mean_k(g) − mean_k(p) (src/openset/neighbourhood_stats.h): g's mean
//             cosine to its k nearest gallery faces and the probe's to its k nearest; faces near
//             everybody ("hubs") are marked down. Needs the engine's neighbourhood state
//             (Engine::GalleryMeans), built on first use and kept up to date from then on.
enum class Scoring { kCosine, kHubness };
std::string_view ScoringName(Scoring scoring);  // "cosine", "hubness"
// InvalidArgument for any other name.
Result<Scoring> ParseScoring(std::string_view name);

// The hubness score's decision threshold. Measured with `likeness bench identify` (bench/README.md,
// "Open-set accuracy"): FPIR 1 % at 0.373 (ORL) / 0.359 (ORL + Yale + deepface), FPIR 0.1 % at
// 0.422 / 0.478; 0.42 sits where 0.45 sits for cosine (between the 1 % and 0.1 % points).
inline constexpr float kDefaultHubnessThreshold = 0.42f;
// The scoring's default threshold (kDefaultMatchThreshold or kDefaultHubnessThreshold).
float DefaultThreshold(Scoring scoring);
// Hubness re-ranks this many of the index's nearest faces (at least top_k): the correction moves a
// face by at most 2 x (spread of the means), so the right answer is nearly always among them.
inline constexpr int kHubnessCandidates = 50;

struct SearchOptions {
  int top_k = 10;
  float min_score = -1.0f;  // matches below (in the scoring's score) are not listed
  bool largest_only = false;
  // The client's decision threshold. Unset: the decision threshold that holds the calibrated
  // target FPIR for the searched gallery (engine/decision.h). A value below the decision's floor
  // (the FPIR 1 % threshold) is refused (PermissionDenied) unless may_review.
  std::optional<float> match_threshold;
  // The caller holds the review right (an admin key; the local CLI operator): it may set a
  // threshold below the floor and ask for review candidates.
  bool may_review = false;
  // Sub-threshold candidates per probe face for human review (0: none); at most
  // kMaxReviewCandidates (decision.h). REQUIRES may_review (else PermissionDenied).
  int review_candidates = 0;
  // Why the candidates are wanted (governance refuses review candidates without it and records it
  // in the search's audit record).
  std::string review_reason;
  // The sources whose faces may be returned, ascending; null means every source. A tenant's search
  // sets it to the sources the tenant owns or that are shared to it: no face outside the set is
  // ever returned, however close, and gallery_size counts only the set (see scoped_search.h).
  std::shared_ptr<const std::vector<int64_t>> visible_sources;
  // Raw cosine by default: live on ORL, hubness gains 0.6 points of rank-1 with one photo per
  // person but loses 10 of DIR at FPIR 1 % with three (bench/README.md, "Hubness in live search").
  Scoring scoring = Scoring::kCosine;
};

struct Match {
  float score = 0;        // in options.scoring
  float cosine = 0;       // raw cosine, always (equals score under kCosine)
  bool is_match = false;  // score >= threshold
  catalog::FaceWithProvenance face;
};

struct ProbeFace {
  BoxF box;  // in the probe's original pixels
  FaceQuality quality;
  Embedding embedding;
  // Enforced decision: only faces at or above the threshold, best first (empty: no match).
  std::vector<Match> matches;
  bool matched = false;  // matches is not empty
  // Below the threshold, best first, only when SearchOptions::review_candidates asked for them:
  // for human review, never a match.
  std::vector<Match> candidates;
};

struct SearchResponse {
  // Of the probe bytes (audit uses this; the probe itself is never stored).
  std::string probe_sha256;
  int width = 0, height = 0;
  float threshold = kDefaultMatchThreshold;  // the threshold the decision used
  Scoring scoring = Scoring::kCosine;
  int64_t gallery_size = 0;  // searchable faces the search ran over (a tenant's visible ones)
  // The calibrated decision (engine/decision.h): the FPIR it targets, the lowest threshold a
  // client may ask for without the review right, whether a calibration was used (false: the
  // scoring's default, small uncalibrated catalog), whether the client set the threshold, and
  // whether the calibration is stale (catalog grew past kRecalibrateGrowth).
  double target_fpir = 0;
  float threshold_floor = kDefaultMatchThreshold;
  bool calibrated = false;
  bool client_threshold = false;
  bool calibration_stale = false;
  // From the calibration (negative when the catalog was never calibrated): how many false
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
