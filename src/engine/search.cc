#include "engine/search.h"

#include <algorithm>
#include <cstdio>

#include "common/hash.h"
#include "engine/decision.h"
#include "engine/remote_search.h"
#include "engine/scoped_search.h"
#include "openset/impostor_model.h"
#include "openset/neighbourhood_stats.h"

namespace likeness::engine {

std::string_view ScoringName(Scoring scoring) {
  return scoring == Scoring::kHubness ? "hubness" : "cosine";
}

Result<Scoring> ParseScoring(std::string_view name) {
  if (name == "cosine") return Scoring::kCosine;
  if (name == "hubness") return Scoring::kHubness;
  return Status::InvalidArgument("scoring must be 'cosine' or 'hubness', not '" +
                                 std::string(name) + "'");
}

float DefaultThreshold(Scoring scoring) {
  return scoring == Scoring::kHubness ? kDefaultHubnessThreshold : kDefaultMatchThreshold;
}

float Cosine(std::span<const float> a, std::span<const float> b) {
  const size_t n = std::min(a.size(), b.size());
  double dot = 0;
  for (size_t i = 0; i < n; ++i) dot += static_cast<double>(a[i]) * b[i];
  return static_cast<float>(dot);
}

Result<SearchResponse> AnalyzeProbe(Engine& engine, vision::FaceAnalyzer& analyzer,
                                    std::span<const uint8_t> bytes, bool largest_only) {
  const EngineOptions& opt = engine.options();
  ASSIGN_OR_RETURN(imageio::DecodedImage image, imageio::DecodeImage(bytes, opt.decode));
  ASSIGN_OR_RETURN(std::vector<vision::AnalyzedFace> faces,
                   analyzer.Analyze(image.bgr, opt.analyze));
  SearchResponse response;
  response.probe_sha256 = Sha256Hex(bytes);
  response.width = image.original_width;
  response.height = image.original_height;
  const float inv = static_cast<float>(1.0 / image.scale);
  for (auto& f : faces) {  // largest first
    ProbeFace p;
    p.box = {f.box.x1 * inv, f.box.y1 * inv, f.box.x2 * inv, f.box.y2 * inv};
    p.quality = f.quality;
    p.quality.face_px *= inv;
    p.embedding = std::move(f.embedding);
    response.faces.push_back(std::move(p));
    if (largest_only) break;
  }
  return response;
}

Result<std::vector<Match>> SearchEmbedding(Engine& engine, std::span<const float> embedding,
                                           const SearchOptions& options) {
  if (RemoteSearcher* remote = engine.remote_searcher()) {
    if (options.visible_sources) {
      return Status::Unsupported(
          "a cluster router searches for the operator tenant only (tenant scopes are single-node)");
    }
    if (options.scoring == Scoring::kHubness) {
      return Status::Unsupported("hubness scoring is single-node only; use cosine on a cluster");
    }
    return remote->Search(embedding, options);
  }
  const bool hubness = options.scoring == Scoring::kHubness;
  const int top_k = std::max(1, options.top_k);
  const int fetch = hubness ? std::max({top_k, kHubnessCandidates, engine.hubness_k()}) : top_k;
  struct Scored {
    int64_t id;
    float score, cosine;
  };
  std::vector<Scored> scored;
  if (options.visible_sources) {
    // A tenant's search: candidates from its visible sources only (the scoped search widens its
    // index request until it has `fetch` of them). Hubness then uses the probe's nearest visible
    // faces for the probe term and the whole gallery's neighbour means for the gallery term.
    SearchOptions wide = options;
    wide.top_k = fetch;
    if (hubness) wide.min_score = -1.0f;  // min_score applies to the hubness score, below
    ASSIGN_OR_RETURN(std::vector<Match> within, SearchEmbeddingWithin(engine, embedding, wide));
    for (const Match& w : within) scored.push_back({w.face.face.id, w.score, w.score});
  } else {
    ASSIGN_OR_RETURN(auto hits, engine.index().Search(embedding, fetch));
    for (const auto& h : hits.at(0)) scored.push_back({h.id, h.score, h.score});
  }
  if (hubness && !scored.empty()) {
    std::vector<float> cosines;
    std::vector<int64_t> candidate_ids;
    for (const auto& s : scored) {
      cosines.push_back(s.cosine);
      candidate_ids.push_back(s.id);
    }
    // The probe's mean over its k nearest gallery faces: the index's best hits are exactly those.
    const float probe_mean = openset::MeanOfTopK(cosines, engine.hubness_k());
    ASSIGN_OR_RETURN(std::vector<float> means, engine.GalleryMeans(candidate_ids));
    for (size_t i = 0; i < scored.size(); ++i)
      scored[i].score = openset::HubnessScore(scored[i].cosine, means[i], probe_mean);
    std::stable_sort(scored.begin(), scored.end(),
                     [](const Scored& a, const Scored& b) { return a.score > b.score; });
  }
  std::vector<int64_t> ids;
  std::vector<float> scores, cosines;
  for (const auto& s : scored) {
    if (static_cast<int>(ids.size()) == top_k) break;
    if (s.score < options.min_score) continue;
    ids.push_back(s.id);
    scores.push_back(s.score);
    cosines.push_back(s.cosine);
  }
  ASSIGN_OR_RETURN(auto rows, engine.catalog().GetFacesWithProvenance(ids));
  std::vector<Match> matches;
  size_t j = 0;
  for (auto& row : rows) {  // rows follow ids' order, missing ids omitted
    while (j < ids.size() && ids[j] != row.face.id) ++j;
    if (j == ids.size()) break;
    Match m;
    m.score = scores[j];
    m.cosine = cosines[j];
    m.is_match = m.score >= options.match_threshold.value_or(DefaultThreshold(options.scoring));
    m.face = std::move(row);
    matches.push_back(std::move(m));
  }
  return matches;
}

Result<SearchResponse> SearchProbe(Engine& engine, vision::FaceAnalyzer& analyzer,
                                   std::span<const uint8_t> bytes, const SearchOptions& options) {
  if (options.review_candidates < 0 || options.review_candidates > kMaxReviewCandidates)
    return Status::InvalidArgument("review candidates: 0 to " +
                                   std::to_string(kMaxReviewCandidates) + " per face");
  if (options.review_candidates > 0 && !options.may_review)
    return Status::PermissionDenied(
        "sub-threshold candidates are for human review: this key's role may not ask for them");
  ASSIGN_OR_RETURN(SearchResponse response,
                   AnalyzeProbe(engine, analyzer, bytes, options.largest_only));
  response.scoring = options.scoring;
  for (auto& face : response.faces) {
    ASSIGN_OR_RETURN(face.matches, SearchEmbedding(engine, face.embedding, options));
  }
  // After the searches: a remote searcher counts its gallery while searching.
  int64_t whole = 0;
  if (RemoteSearcher* remote = engine.remote_searcher()) {
    ASSIGN_OR_RETURN(whole, remote->GallerySize());
  } else {
    whole = engine.index().size();
  }
  response.gallery_size = whole;
  if (options.visible_sources) {
    ASSIGN_OR_RETURN(response.gallery_size, VisibleGallerySize(engine, *options.visible_sources));
  }
  // The decision for the gallery searched (a tenant's visible faces, a cluster's whole gallery).
  ASSIGN_OR_RETURN(std::optional<openset::Calibration> calibration, CurrentCalibration(engine));
  ASSIGN_OR_RETURN(Decision decision, Decide(calibration, options.scoring, response.gallery_size));
  float threshold = decision.threshold;
  if (options.match_threshold) {
    if (*options.match_threshold < decision.floor && !options.may_review) {
      char buf[160];
      std::snprintf(buf, sizeof buf,
                    "threshold %.3f is below %.3f, the FPIR 1 %% threshold for this gallery: only "
                    "a key whose role allows review may lower it",
                    *options.match_threshold, decision.floor);
      return Status::PermissionDenied(buf);
    }
    threshold = *options.match_threshold;
    response.client_threshold = true;
  }
  response.threshold = threshold;
  response.threshold_floor = decision.floor;
  response.target_fpir = decision.target_fpir;
  response.calibrated = decision.calibrated;
  response.calibration_stale = calibration && CalibrationStale(*calibration, whole);
  // Enforce it: matches at or above the threshold; below it, candidates only when asked for.
  for (auto& face : response.faces) {
    std::vector<Match> all = std::move(face.matches);
    face.matches.clear();
    for (auto& m : all) {
      m.is_match = m.score >= threshold;
      if (m.is_match) {
        face.matches.push_back(std::move(m));
      } else if (static_cast<int>(face.candidates.size()) < options.review_candidates) {
        face.candidates.push_back(std::move(m));
      }
    }
    face.matched = !face.matches.empty();
  }
  if (decision.model) {
    response.expected_false_matches =
        openset::ExpectedFalseMatches(*decision.model, threshold, response.gallery_size);
    response.false_positive_identification_rate =
        openset::FalsePositiveIdentificationRate(*decision.model, threshold, response.gallery_size);
  }
  return response;
}

Result<VerifyResponse> VerifyImages(Engine& engine, vision::FaceAnalyzer& analyzer,
                                    std::span<const uint8_t> image_a,
                                    std::span<const uint8_t> image_b, float threshold) {
  ASSIGN_OR_RETURN(SearchResponse a, AnalyzeProbe(engine, analyzer, image_a, true));
  ASSIGN_OR_RETURN(SearchResponse b, AnalyzeProbe(engine, analyzer, image_b, true));
  if (a.faces.empty()) return Status::InvalidArgument("no face found in the first image");
  if (b.faces.empty()) return Status::InvalidArgument("no face found in the second image");
  VerifyResponse v;
  v.a = std::move(a.faces[0]);
  v.b = std::move(b.faces[0]);
  v.threshold = threshold;
  v.score = Cosine(v.a.embedding, v.b.embedding);
  v.same_person = v.score >= threshold;
  return v;
}

}  // namespace likeness::engine
