// 1:N search, 1:1 verification and face detection on uploaded probe photos. The probes are held
// in memory for the request only; they are never written to disk. Search and verify need a
// purpose, a legal basis and a case reference and go through the governance facade, the same
// functions the CLI calls: opted-out people are never returned, and the audit record (operator =
// the key's name) is durable before any result is: no audit record, no result.
#include <httplib.h>

#include "common/hash.h"
#include "engine/person_groups.h"
#include "engine/remote_search.h"
#include "engine/search.h"
#include "governance/governance.h"
#include "imageio/decode.h"
#include "server/form.h"
#include "server/handlers.h"
#include "server/json_views.h"
#include "server/tenant_scope.h"

namespace likeness::server {
namespace {

std::span<const uint8_t> Bytes(const httplib::MultipartFormData& f) {
  return {reinterpret_cast<const uint8_t*>(f.content.data()), f.content.size()};
}

// The why of a search or verification, from the form, with the caller as operator. The
// governance facade validates it (the legal basis must be a GDPR Art. 6(1) basis or alias).
Result<governance::Justification> ReadJustification(const Form& form, const Call& call) {
  governance::Justification j;
  StampCaller(call, j);
  ASSIGN_OR_RETURN(j.purpose, form.Text("purpose"));
  ASSIGN_OR_RETURN(j.legal_basis, form.Text("legal_basis", 100));
  ASSIGN_OR_RETURN(j.case_ref, form.Text("case_ref", 200));
  return governance::ValidateJustification(std::move(j));
}

}  // namespace

Result<Reply> HandleSearch(Services& s, const Call& call) {
  ASSIGN_OR_RETURN(Form form, Form::Of(call.http));
  ASSIGN_OR_RETURN(const httplib::MultipartFormData* image, form.File("image"));
  ASSIGN_OR_RETURN(governance::Justification why, ReadJustification(form, call));
  engine::SearchOptions options;
  ASSIGN_OR_RETURN(options.top_k, form.Int("top_k", 10, 1, s.options.max_top_k));
  ASSIGN_OR_RETURN(std::string scoring, form.OptionalText("scoring", 20));
  ASSIGN_OR_RETURN(options.scoring, engine::ParseScoring(scoring.empty() ? "cosine" : scoring));
  // Cosine lies in [-1, 1]; the hubness score 2cos - two means in [-4, 4].
  const float bound = options.scoring == engine::Scoring::kHubness ? 4.0f : 1.0f;
  ASSIGN_OR_RETURN(options.min_score, form.Float("min_score", -bound, -bound, bound));
  ASSIGN_OR_RETURN(
      options.match_threshold,
      form.Float("threshold", engine::DefaultThreshold(options.scoring), -bound, bound));
  ASSIGN_OR_RETURN(options.largest_only, form.Bool("largest", false));
  // Only the tenant's own sources and those shared to it are searched.
  ASSIGN_OR_RETURN(TenantScope scope, ScopeOf(s, call));
  // A cluster router holds no sources itself: the operator tenant searches every shard; other
  // tenants' scopes are single-node (the engine refuses them on a router).
  if (!(s.gov.engine().remote_searcher() != nullptr && scope.IsOperator())) {
    options.visible_sources =
        std::make_shared<const std::vector<int64_t>>(std::move(scope.visible));
  }
  ASSIGN_OR_RETURN(std::string group_by, form.OptionalText("group_by", 20));
  if (!group_by.empty() && group_by != "person")
    return Status::InvalidArgument("'group_by' takes 'person'");
  // People span every tenant's faces (one clustering per instance): the operator tenant's only.
  if (!group_by.empty()) RETURN_IF_ERROR(RequireOperatorTenant(call, "people"));

  RETURN_IF_ERROR(CheckImageHeader(s, Bytes(*image)));
  // The lease bounds how many image jobs run at once (governance analyses with its own analyzer).
  auto lease = s.analyzers.Acquire(s.options.analyzer_wait);
  if (!lease.ok()) return BusyReply();
  int64_t seq = 0;
  ASSIGN_OR_RETURN(engine::SearchResponse result, s.gov.Search(why, Bytes(*image), options, &seq));
  nlohmann::json body = SearchJson(result);
  body["audit_seq"] = seq;
  body["gallery_size"] = result.gallery_size;  // the faces this tenant's search ran over
  if (!group_by.empty()) {
    for (size_t i = 0; i < result.faces.size(); ++i) {
      const auto& f = result.faces[i];
      ASSIGN_OR_RETURN(auto groups, engine::GroupByPerson(s.engine, f.embedding, f.matches));
      nlohmann::json people = nlohmann::json::array();
      for (const auto& g : groups) people.push_back(PersonGroupJson(g));
      body["faces"][i]["people"] = std::move(people);
    }
  }
  return Reply::Json(body);
}

Result<Reply> HandleVerify(Services& s, const Call& call) {
  ASSIGN_OR_RETURN(Form form, Form::Of(call.http));
  ASSIGN_OR_RETURN(const httplib::MultipartFormData* a, form.File("image_a"));
  ASSIGN_OR_RETURN(const httplib::MultipartFormData* b, form.File("image_b"));
  ASSIGN_OR_RETURN(governance::Justification why, ReadJustification(form, call));
  ASSIGN_OR_RETURN(float threshold,
                   form.Float("threshold", engine::kDefaultMatchThreshold, -1.0f, 1.0f));

  RETURN_IF_ERROR(CheckImageHeader(s, Bytes(*a)).WithContext("image_a"));
  RETURN_IF_ERROR(CheckImageHeader(s, Bytes(*b)).WithContext("image_b"));
  auto lease = s.analyzers.Acquire(s.options.analyzer_wait);
  if (!lease.ok()) return BusyReply();
  int64_t seq = 0;
  ASSIGN_OR_RETURN(engine::VerifyResponse v,
                   s.gov.Verify(why, Bytes(*a), Bytes(*b), threshold, &seq));
  return Reply::Json({{"score", v.score},
                      {"same_person", v.same_person},
                      {"threshold", v.threshold},
                      {"image_a_sha256", Sha256Hex(Bytes(*a))},
                      {"image_b_sha256", Sha256Hex(Bytes(*b))},
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
