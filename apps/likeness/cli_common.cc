#include "cli_common.h"

#include <chrono>
#include <cstdio>
#include <iostream>

#include "cluster/router.h"

namespace likeness::cli {

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return kExitOk;
    case StatusCode::kInvalidArgument:
      return 3;
    case StatusCode::kNotFound:
      return 4;
    case StatusCode::kAlreadyExists:
      return 5;
    case StatusCode::kFailedPrecondition:
      return 6;
    case StatusCode::kPermissionDenied:
      return 7;
    case StatusCode::kResourceExhausted:
      return 8;
    case StatusCode::kCorruption:
      return 9;
    case StatusCode::kIOError:
      return 10;
    case StatusCode::kUnsupported:
      return 11;
    case StatusCode::kInternal:
      return 70;
  }
  return 70;
}

int Fail(const Status& status) {
  std::cerr << "likeness: " << status.ToString() << "\n";
  return ExitCodeFor(status);
}

Result<privacy::KeyFolder> KeysOf(const GlobalFlags& flags) {
  return privacy::OpenKeyFolder(engine::ResolveDataDir(flags.data_dir));
}

Result<std::unique_ptr<engine::Engine>> OpenEngine(const GlobalFlags& flags) {
  return OpenEngine(flags, flags.index_factory);
}

Result<std::unique_ptr<engine::Engine>> OpenEngine(const GlobalFlags& flags,
                                                   const std::string& index_kind) {
  engine::EngineOptions options;
  options.data_dir = engine::ResolveDataDir(flags.data_dir);
  options.index_factory = index_kind;
  options.writer_role = flags.writer_role;
  options.analyze.min_face_px = flags.min_face_px;
  options.analyze.tiling = !flags.no_tiling;
  options.analyze.small_faces = flags.small_faces == "on";
  const bool quiet = flags.quiet;
  const auto start = std::chrono::steady_clock::now();
  auto opened = engine::Engine::Open(options, [quiet, start](int64_t done, int64_t total) {
    if (quiet) return;
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double rate = s > 0 ? static_cast<double>(done) / s : 0;
    const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0;
    std::fprintf(stderr,
                 "\rrebuilding index from the catalog: %lld/%lld faces, %.0f/s, ETA %.0f s   ",
                 static_cast<long long>(done), static_cast<long long>(total), rate, eta);
    if (done >= total) std::fprintf(stderr, "\n");
  });
  if (!opened.ok() || flags.cluster_url.empty()) return opened;
  cluster::NatsAuth auth = cluster::NatsAuthFromEnv();
  if (!flags.nats_creds.empty()) auth.creds_file = flags.nats_creds;
  RETURN_IF_ERROR(cluster::AttachCluster(**opened, flags.cluster_url, auth).status());
  return opened;
}

nlohmann::json ToJson(const BoxF& b) {
  return {{"x", b.x1}, {"y", b.y1}, {"width", b.width()}, {"height", b.height()}};
}

nlohmann::json ToJson(const FaceQuality& q) {
  return {{"overall", q.overall},
          {"face_px", q.face_px},
          {"sharpness", q.sharpness},
          {"yaw_deg", q.yaw_deg},
          {"pitch_deg", q.pitch_deg},
          {"roll_deg", q.roll_deg},
          {"detector_score", q.detector_score}};
}

Status RequireTenant(catalog::Catalog& catalog, const std::string& tenant) {
  if (tenant.empty() || tenant == catalog::kDefaultTenant) return Status::Ok();
  ASSIGN_OR_RETURN(auto tenants, catalog.ListTenants());
  for (const auto& t : tenants) {
    if (t.name == tenant) return Status::Ok();
  }
  return Status::NotFound("no tenant '" + tenant + "': register it with `likeness tenant create " +
                          tenant + "`");
}

nlohmann::json ToJson(const catalog::SourceRecord& s) {
  return {{"id", s.id},
          {"name", s.name},
          {"kind", std::string(catalog::SourceKindName(s.kind))},
          {"location", s.location},
          {"collector", s.collector},
          {"legal_basis", s.legal_basis},
          {"art9_condition", s.art9_condition},
          {"jurisdiction", s.jurisdiction},
          {"retain_until", s.retain_until},
          {"created_at", s.created_at},
          {"tenant", s.tenant},
          {"public_description", s.public_description}};
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
          {"image_path", f.image.path},
          {"image_sha256", f.image.content_hash},
          {"ingested_at", f.image.ingested_at},
          {"box", ToJson(f.face.box)},
          {"source", f.source.name},
          {"legal_basis", f.source.legal_basis},
          {"art9_condition", f.source.art9_condition},
          {"jurisdiction", f.source.jurisdiction},
          {"retain_until", f.source.retain_until}};
}
}  // namespace

nlohmann::json ToJson(const engine::Match& m) {
  nlohmann::json j = PhotoMatchJson(m);
  const auto& f = m.face;
  j["media"] = f.image.is_video() ? "video" : "photo";
  if (f.image.is_video()) {
    j["image_format"] = f.image.format;
    j["duration_s"] = *f.image.duration_s;
  }
  if (f.face.video) {  // a face of a video: when it was seen, and its track's span
    j["time_offset_s"] = f.face.video->time_offset_s;
    j["track_id"] = f.face.video->track_id;
    j["track_first_s"] = f.face.video->track_first_s;
    j["track_last_s"] = f.face.video->track_last_s;
  }
  return j;
}

nlohmann::json ToJson(const engine::SearchResponse& r) {
  nlohmann::json faces = nlohmann::json::array();
  for (size_t i = 0; i < r.faces.size(); ++i) {
    const auto& f = r.faces[i];
    nlohmann::json matches = nlohmann::json::array();
    for (const auto& m : f.matches) matches.push_back(ToJson(m));
    faces.push_back({{"index", i},
                     {"box", ToJson(f.box)},
                     {"quality", ToJson(f.quality)},
                     {"decision", f.matched ? "match" : "no_match"},
                     {"matches", matches}});
    if (!f.candidates.empty()) {
      nlohmann::json candidates = nlohmann::json::array();
      for (const auto& m : f.candidates) {
        nlohmann::json c = ToJson(m);
        c["candidate"] = true;  // below the threshold: for human review, not a match
        candidates.push_back(std::move(c));
      }
      faces.back()["candidates"] = std::move(candidates);
    }
  }
  nlohmann::json j = {{"probe_sha256", r.probe_sha256},
                      {"width", r.width},
                      {"height", r.height},
                      {"threshold", r.threshold},
                      {"scoring", engine::ScoringName(r.scoring)},
                      {"gallery_size", r.gallery_size},
                      {"threshold_floor", r.threshold_floor},
                      {"threshold_source", r.client_threshold ? "client"
                                           : r.calibrated     ? "calibrated"
                                                              : "default"},
                      {"faces", faces}};
  j["target_fpir"] = r.calibrated ? nlohmann::json(r.target_fpir) : nlohmann::json();
  // null until `likeness calibrate` has measured the catalog's impostor scores.
  j["expected_false_matches"] =
      r.expected_false_matches < 0 ? nlohmann::json() : nlohmann::json(r.expected_false_matches);
  j["fpir"] = r.false_positive_identification_rate < 0
                  ? nlohmann::json()
                  : nlohmann::json(r.false_positive_identification_rate);
  return j;
}

nlohmann::json ToJson(const engine::PersonGroup& g) {
  nlohmann::json matches = nlohmann::json::array();
  for (const auto& m : g.matches) matches.push_back(ToJson(m));
  return {{"person", g.person == 0 ? nlohmann::json() : nlohmann::json(g.person)},
          {"name", g.name},
          {"person_faces", g.person_faces},
          {"best_score", g.best_score},
          {"match", g.is_match},
          {"template_cosine",
           g.template_cosine ? nlohmann::json(*g.template_cosine) : nlohmann::json()},
          {"matches", matches}};
}

}  // namespace likeness::cli
