#include "engine/search.h"

#include <algorithm>

#include "common/hash.h"
#include "engine/scoped_search.h"
#include "openset/calibration_file.h"
#include "openset/impostor_model.h"

namespace likeness::engine {

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
  if (options.visible_sources) return SearchEmbeddingWithin(engine, embedding, options);
  ASSIGN_OR_RETURN(auto hits, engine.index().Search(embedding, std::max(1, options.top_k)));
  std::vector<int64_t> ids;
  std::vector<float> scores;
  for (const auto& h : hits.at(0)) {
    if (h.score < options.min_score) continue;
    ids.push_back(h.id);
    scores.push_back(h.score);
  }
  ASSIGN_OR_RETURN(auto rows, engine.catalog().GetFacesWithProvenance(ids));
  std::vector<Match> matches;
  size_t j = 0;
  for (auto& row : rows) {  // rows follow ids' order, missing ids omitted
    while (j < ids.size() && ids[j] != row.face.id) ++j;
    if (j == ids.size()) break;
    Match m;
    m.score = scores[j];
    m.is_match = m.score >= options.match_threshold;
    m.face = std::move(row);
    matches.push_back(std::move(m));
  }
  return matches;
}

Result<SearchResponse> SearchProbe(Engine& engine, vision::FaceAnalyzer& analyzer,
                                   std::span<const uint8_t> bytes, const SearchOptions& options) {
  ASSIGN_OR_RETURN(SearchResponse response,
                   AnalyzeProbe(engine, analyzer, bytes, options.largest_only));
  response.threshold = options.match_threshold;
  response.gallery_size = engine.index().size();
  if (options.visible_sources) {
    ASSIGN_OR_RETURN(response.gallery_size, VisibleGallerySize(engine, *options.visible_sources));
  }
  if (auto calibration = openset::LoadCalibration(engine.options().data_dir); calibration.ok()) {
    response.expected_false_matches = openset::ExpectedFalseMatches(
        calibration->model, options.match_threshold, response.gallery_size);
    response.false_positive_identification_rate = openset::FalsePositiveIdentificationRate(
        calibration->model, options.match_threshold, response.gallery_size);
  }
  for (auto& face : response.faces) {
    ASSIGN_OR_RETURN(face.matches, SearchEmbedding(engine, face.embedding, options));
    face.matched = !face.matches.empty() && face.matches.front().is_match;
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
