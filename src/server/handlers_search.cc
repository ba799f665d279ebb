// 1:N search, 1:1 verification and face detection on uploaded probe photos. The probes are held
// in memory for the request only; they are never written to disk. Search and verify need a
// purpose, a legal basis and a case reference, and are recorded in the audit chain under the
// caller's key name before any result is returned: no audit record, no result.
#include <httplib.h>

#include "common/hash.h"
#include "engine/search.h"
#include "imageio/decode.h"
#include "privacy/legal.h"
#include "server/form.h"
#include "server/handlers.h"
#include "server/json_views.h"

namespace likeness::server {
namespace {

std::span<const uint8_t> Bytes(const httplib::MultipartFormData& f) {
  return {reinterpret_cast<const uint8_t*>(f.content.data()), f.content.size()};
}

// The why of a search or verification: purpose, legal basis, case reference.
struct Justification {
  std::string purpose, legal_basis, case_ref;
};

// Reads and validates the three required fields. legal_basis is an Art. 6(1) basis, optionally
// followed by ",<Art. 9(2) condition>"; both parts are normalised ("public-task" -> "art6-1-e").
Result<Justification> ReadJustification(const Form& form) {
  Justification j;
  ASSIGN_OR_RETURN(j.purpose, form.Text("purpose"));
  ASSIGN_OR_RETURN(std::string basis, form.Text("legal_basis", 100));
  ASSIGN_OR_RETURN(j.case_ref, form.Text("case_ref", 200));
  std::string condition;
  if (auto comma = basis.find(','); comma != std::string::npos) {
    condition = basis.substr(comma + 1);
    basis = basis.substr(0, comma);
  }
  ASSIGN_OR_RETURN(j.legal_basis, privacy::NormalizeLegalBasis(basis));
  if (!condition.empty()) {
    ASSIGN_OR_RETURN(std::string normalised, privacy::NormalizeArt9Condition(condition));
    j.legal_basis += "," + normalised;
  }
  return j;
}

Result<int64_t> Audit(Services& s, const Call& call, std::string action, const Justification& j,
                      std::string probe_hash, int64_t result_count, nlohmann::json details) {
  privacy::AuditEntry e;
  e.operator_id = call.caller->name;
  e.action = std::move(action);
  e.purpose = j.purpose;
  e.legal_basis = j.legal_basis;
  e.case_ref = j.case_ref;
  e.probe_hash = std::move(probe_hash);
  e.result_count = result_count;
  details["tenant"] = call.caller->tenant;
  details["role"] = RoleName(call.caller->role);
  details["via"] = "api";
  e.details = details.dump();
  return s.audit.Append(e);
}

}  // namespace

Result<Reply> HandleSearch(Services& s, const Call& call) {
  ASSIGN_OR_RETURN(Form form, Form::Of(call.http));
  ASSIGN_OR_RETURN(const httplib::MultipartFormData* image, form.File("image"));
  ASSIGN_OR_RETURN(Justification why, ReadJustification(form));
  engine::SearchOptions options;
  ASSIGN_OR_RETURN(options.top_k, form.Int("top_k", 10, 1, s.options.max_top_k));
  ASSIGN_OR_RETURN(options.min_score, form.Float("min_score", -1.0f, -1.0f, 1.0f));
  ASSIGN_OR_RETURN(options.match_threshold,
                   form.Float("threshold", engine::kDefaultMatchThreshold, -1.0f, 1.0f));
  ASSIGN_OR_RETURN(options.largest_only, form.Bool("largest", false));

  RETURN_IF_ERROR(CheckImageHeader(s, Bytes(*image)));
  auto lease = s.analyzers.Acquire(s.options.analyzer_wait);
  if (!lease.ok()) return BusyReply();
  ASSIGN_OR_RETURN(engine::SearchResponse result,
                   engine::SearchProbe(s.engine, **lease, Bytes(*image), options));

  int64_t returned = 0;
  nlohmann::json face_ids = nlohmann::json::array();
  for (const auto& f : result.faces) {
    for (const auto& m : f.matches) face_ids.push_back(m.face.face.id);
    returned += static_cast<int64_t>(f.matches.size());
  }
  ASSIGN_OR_RETURN(int64_t seq, Audit(s, call, "search", why, result.probe_sha256, returned,
                                      {{"probe_faces", result.faces.size()},
                                       {"top_k", options.top_k},
                                       {"threshold", options.match_threshold},
                                       {"face_ids", std::move(face_ids)}}));
  nlohmann::json body = SearchJson(result);
  body["audit_seq"] = seq;
  return Reply::Json(body);
}

Result<Reply> HandleVerify(Services& s, const Call& call) {
  ASSIGN_OR_RETURN(Form form, Form::Of(call.http));
  ASSIGN_OR_RETURN(const httplib::MultipartFormData* a, form.File("image_a"));
  ASSIGN_OR_RETURN(const httplib::MultipartFormData* b, form.File("image_b"));
  ASSIGN_OR_RETURN(Justification why, ReadJustification(form));
  ASSIGN_OR_RETURN(float threshold,
                   form.Float("threshold", engine::kDefaultMatchThreshold, -1.0f, 1.0f));

  RETURN_IF_ERROR(CheckImageHeader(s, Bytes(*a)).WithContext("image_a"));
  RETURN_IF_ERROR(CheckImageHeader(s, Bytes(*b)).WithContext("image_b"));
  auto lease = s.analyzers.Acquire(s.options.analyzer_wait);
  if (!lease.ok()) return BusyReply();
  ASSIGN_OR_RETURN(engine::VerifyResponse v,
                   engine::VerifyImages(s.engine, **lease, Bytes(*a), Bytes(*b), threshold));
  const std::string hash_a = Sha256Hex(Bytes(*a));
  const std::string hash_b = Sha256Hex(Bytes(*b));
  ASSIGN_OR_RETURN(int64_t seq, Audit(s, call, "verify", why, hash_a, 1,
                                      {{"probe_b_sha256", hash_b},
                                       {"score", v.score},
                                       {"same_person", v.same_person},
                                       {"threshold", v.threshold}}));
  return Reply::Json({{"score", v.score},
                      {"same_person", v.same_person},
                      {"threshold", v.threshold},
                      {"image_a_sha256", hash_a},
                      {"image_b_sha256", hash_b},
                      {"box_a", BoxJson(v.a.box)},
                      {"box_b", BoxJson(v.b.box)},
                      {"audit_seq", seq}});
}

Result<Reply> HandleDetectFaces(Services& s, const Call& call) {
  ASSIGN_OR_RETURN(Form form, Form::Of(call.http));
  ASSIGN_OR_RETURN(const httplib::MultipartFormData* image, form.File("image"));
  const engine::EngineOptions& eo = s.engine.options();
  RETURN_IF_ERROR(CheckImageHeader(s, Bytes(*image)));
  ASSIGN_OR_RETURN(imageio::DecodedImage decoded, imageio::DecodeImage(Bytes(*image), eo.decode));

  auto lease = s.analyzers.Acquire(s.options.analyzer_wait);
  if (!lease.ok()) return BusyReply();
  vision::AnalyzeOptions analyze = eo.analyze;
  analyze.embed = false;  // detection only: nothing biometric is computed
  ASSIGN_OR_RETURN(std::vector<vision::AnalyzedFace> faces,
                   (*lease)->Analyze(decoded.bgr, analyze));

  const float inv = static_cast<float>(1.0 / decoded.scale);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& f : faces) {
    nlohmann::json points = nlohmann::json::array();
    for (const auto& p : f.points) points.push_back({p.x * inv, p.y * inv});
    FaceQuality q = f.quality;
    q.face_px *= inv;
    list.push_back(
        {{"box", BoxJson(BoxF{f.box.x1 * inv, f.box.y1 * inv, f.box.x2 * inv, f.box.y2 * inv})},
         {"score", f.detector_score},
         {"points", std::move(points)},
         {"quality", QualityJson(q)},
         {"searchable", q.overall >= eo.quality_floor}});
  }
  return Reply::Json({{"width", decoded.original_width},
                      {"height", decoded.original_height},
                      {"format", imageio::FormatName(decoded.format)},
                      {"faces", std::move(list)}});
}

}  // namespace likeness::server
