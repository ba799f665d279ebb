// 1:N search, 1:1 verification and face detection on uploaded probe photos. The probes are held
// in memory for the request only; they are never written to disk. Search and verify need a
// purpose, a legal basis and a case reference and go through the governance facade, the same
// functions the CLI calls: opted-out people are never returned, and the audit record (operator =
// the key's name) is durable before any result is: no audit record, no result.
#include <httplib.h>

#include "common/hash.h"
#include "engine/decision.h"
#include "engine/person_groups.h"
#include "engine/remote_search.h"
#include "engine/search.h"
#include "governance/governance.h"
#include "imageio/decode.h"
#include "server/form.h"
#include "server/handlers.h"
#include "server/json_views.h"
#include "server/purpose_bound.h"
#include "server/tenant_scope.h"

namespace likeness::server {
namespace {

std::span<const uint8_t> Bytes(const httplib::MultipartFormData& f) {
  return {reinterpret_cast<const uint8_t*>(f.content.data()), f.content.size()};
}

// The review right: sub-threshold candidates and thresholds below the FPIR 1 % floor. An admin
// decision: only admin keys hold it.
bool MayReview(const Call& call) { return call.caller->role == Role::kAdmin; }

// The decision the search used, for the reply: the threshold, where it comes from, and what it
// means for a stranger's search over this gallery.
void AddDecision(const engine::SearchResponse& r, nlohmann::json& body) {
  body["gallery_size"] = r.gallery_size;  // the faces this tenant's search ran over
  body["threshold_floor"] = r.threshold_floor;
  body["target_fpir"] = r.calibrated ? nlohmann::json(r.target_fpir) : nlohmann::json();
  body["threshold_source"] = r.client_threshold ? "client"
                             : r.calibrated     ? "calibrated"
                                                : "default";
  body["expected_false_matches"] =
      r.expected_false_matches < 0 ? nlohmann::json() : nlohmann::json(r.expected_false_matches);
  body["fpir"] = r.false_positive_identification_rate < 0
                     ? nlohmann::json()
                     : nlohmann::json(r.false_positive_identification_rate);
}

}  // namespace

Result<Reply> HandleSearch(Services& s, const Call& call) {
  ASSIGN_OR_RETURN(Form form, Form::Of(call.http));
  ASSIGN_OR_RETURN(const httplib::MultipartFormData* image, form.File("image"));
  ASSIGN_OR_RETURN(governance::Justification why, FormJustification(form, call));
  engine::SearchOptions options;
  ASSIGN_OR_RETURN(options.top_k, form.Int("top_k", 10, 1, s.options.max_top_k));
  ASSIGN_OR_RETURN(std::string scoring, form.OptionalText("scoring", 20));
  ASSIGN_OR_RETURN(options.scoring, engine::ParseScoring(scoring.empty() ? "cosine" : scoring));
  // Cosine lies in [-1, 1]; the hubness score 2cos - two means in [-4, 4].
  const float bound = options.scoring == engine::Scoring::kHubness ? 4.0f : 1.0f;
  ASSIGN_OR_RETURN(options.min_score, form.Float("min_score", -bound, -bound, bound));
  // No threshold: the calibrated decision threshold (engine/decision.h). One below the FPIR 1 %
  // floor, and candidates below the threshold, need the review right (the engine refuses).
  ASSIGN_OR_RETURN(std::string threshold, form.OptionalText("threshold", 20));
  if (!threshold.empty()) {
    ASSIGN_OR_RETURN(options.match_threshold, form.Float("threshold", 0, -bound, bound));
  }
  ASSIGN_OR_RETURN(options.review_candidates,
                   form.Int("review_candidates", 0, 0, engine::kMaxReviewCandidates));
  ASSIGN_OR_RETURN(options.review_reason, form.OptionalText("review_reason", 500));
  options.may_review = MayReview(call);
  ASSIGN_OR_RETURN(options.largest_only, form.Bool("largest", false));
  // Only the tenant's own sources and those shared to it are searched.
  ASSIGN_OR_RETURN(TenantScope scope, ScopeOf(s, call));
  // The hubness statistics span every tenant's faces (one neighbourhood state per instance): the
  // operator tenant's only, like people.
  if (options.scoring == engine::Scoring::kHubness)
    RETURN_IF_ERROR(RequireOperatorTenant(call, "hubness statistics"));
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
  if (result.calibration_stale) s.recalibrator.Kick();
  nlohmann::json body = SearchJson(result);
  body["audit_seq"] = seq;
  AddDecision(result, body);
  if (!group_by.empty()) {
    for (size_t i = 0; i < result.faces.size(); ++i) {
      const auto& f = result.faces[i];
      ASSIGN_OR_RETURN(auto groups, engine::GroupByPerson(s.engine, f.embedding, f.matches));
      nlohmann::json people = nlohmann::json::array();
      for (const auto& g : groups) people.push_back(PersonGroupJson(g));
      body["faces"][i]["people"] = std::move(people);
    }
  }
  // The faces and photos this search returned may be fetched with the tokens in their URLs.
  GrantMedia(s, call, seq, why, body);
  return Reply::Json(body);
}

Result<Reply> HandleVerify(Services& s, const Call& call) {
  ASSIGN_OR_RETURN(Form form, Form::Of(call.http));
  ASSIGN_OR_RETURN(const httplib::MultipartFormData* a, form.File("image_a"));
  ASSIGN_OR_RETURN(const httplib::MultipartFormData* b, form.File("image_b"));
  ASSIGN_OR_RETURN(governance::Justification why, FormJustification(form, call));
  ASSIGN_OR_RETURN(float threshold,
                   form.Float("threshold", engine::kDefaultMatchThreshold, -1.0f, 1.0f));
  // 1:1 has no gallery to calibrate for: the default threshold is the floor without review.
  if (threshold < engine::kDefaultMatchThreshold && !MayReview(call))
    return Status::PermissionDenied(
        "a verification threshold below the default needs a key whose role allows review");

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
