#include "server/json_views.h"

#include <cstdio>
#include <string>

namespace likeness::server {

namespace {
// Seconds with millisecond precision, for a URL.
std::string FormatSeconds(double s) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", s);
  return text;
}
}  // namespace

nlohmann::json BoxJson(const BoxF& b) {
  return {{"x", b.x1}, {"y", b.y1}, {"width", b.width()}, {"height", b.height()}};
}

nlohmann::json QualityJson(const FaceQuality& q) {
  return {{"overall", q.overall},
          {"face_px", q.face_px},
          {"sharpness", q.sharpness},
          {"yaw_deg", q.yaw_deg},
          {"pitch_deg", q.pitch_deg},
          {"roll_deg", q.roll_deg},
          {"detector_score", q.detector_score}};
}

nlohmann::json SourceJson(const catalog::SourceRecord& s) {
  return {{"id", s.id},
          {"name", s.name},
          {"kind", std::string(catalog::SourceKindName(s.kind))},
          {"collector", s.collector},
          {"legal_basis", s.legal_basis},
          {"art9_condition", s.art9_condition},
          {"jurisdiction", s.jurisdiction},
          {"retain_until", s.retain_until},
          {"created_at", s.created_at},
          {"tenant", s.tenant},
          {"public_description", s.public_description}};
}

void AddVideoFields(const catalog::FaceWithProvenance& f, nlohmann::json& j) {
  j["media"] = f.image.is_video() ? "video" : "photo";
  if (!f.image.is_video()) return;
  j["image_format"] = f.image.format;
  j["duration_s"] = *f.image.duration_s;
  j["video_url"] = "/api/v1/videos/" + std::to_string(f.image.id);
  if (!f.face.video) return;
  const catalog::VideoMoment& v = *f.face.video;
  j["time_offset_s"] = v.time_offset_s;
  j["track_id"] = v.track_id;
  j["track_first_s"] = v.track_first_s;
  j["track_last_s"] = v.track_last_s;
  // The frame the face was found on.
  j["image_url"] =
      "/api/v1/images/" + std::to_string(f.image.id) + "?t=" + FormatSeconds(v.time_offset_s);
}

namespace {
// The fields every match has (a video face adds its own, below).
nlohmann::json PhotoMatchJson(const engine::Match& m) {
  const auto& f = m.face;
  return {{"face_id", f.face.id},
          {"score", m.score},
          {"score_cosine", m.cosine},
          {"match", m.is_match},
          {"image_id", f.image.id},
          {"image_sha256", f.image.content_hash},
          {"image_width", f.image.width},
          {"image_height", f.image.height},
          {"ingested_at", f.image.ingested_at},
          {"box", BoxJson(f.face.box)},
          {"source_id", f.source.id},
          {"source", f.source.name},
          {"legal_basis", f.source.legal_basis},
          {"art9_condition", f.source.art9_condition},
          {"jurisdiction", f.source.jurisdiction},
          {"retain_until", f.source.retain_until},
          {"crop_url", "/api/v1/faces/" + std::to_string(f.face.id) + "/crop"},
          {"image_url", "/api/v1/images/" + std::to_string(f.image.id)}};
}
}  // namespace

nlohmann::json MatchJson(const engine::Match& m) {
  nlohmann::json j = PhotoMatchJson(m);
  AddVideoFields(m.face, j);
  return j;
}

nlohmann::json SearchJson(const engine::SearchResponse& r) {
  nlohmann::json faces = nlohmann::json::array();
  for (size_t i = 0; i < r.faces.size(); ++i) {
    const auto& f = r.faces[i];
    nlohmann::json matches = nlohmann::json::array();
    for (const auto& m : f.matches) matches.push_back(MatchJson(m));
    faces.push_back({{"index", i},
                     {"box", BoxJson(f.box)},
                     {"quality", QualityJson(f.quality)},
                     {"decision", f.matched ? "match" : "no_match"},
                     {"matches", std::move(matches)}});
  }
  return {{"probe_sha256", r.probe_sha256},
          {"width", r.width},
          {"height", r.height},
          {"threshold", r.threshold},
          {"scoring", engine::ScoringName(r.scoring)},
          {"faces", std::move(faces)}};
}

nlohmann::json PersonGroupJson(const engine::PersonGroup& g) {
  nlohmann::json matches = nlohmann::json::array();
  for (const auto& m : g.matches) matches.push_back(MatchJson(m));
  return {{"person", g.person == 0 ? nlohmann::json() : nlohmann::json(g.person)},
          {"name", g.name},
          {"person_faces", g.person_faces},
          {"best_score", g.best_score},
          {"match", g.is_match},
          {"template_cosine",
           g.template_cosine ? nlohmann::json(*g.template_cosine) : nlohmann::json()},
          {"matches", std::move(matches)}};
}

}  // namespace likeness::server
