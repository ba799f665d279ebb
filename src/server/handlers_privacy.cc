// The privacy officer's routes: subject access, opt-out (add, list, withdraw) and erasure (preview,
// execute with a receipt), through the governance functions the CLI uses. Every change is recorded
// in the audit chain under the key's name. Reports never carry server paths; faces carry crop URLs.
//
// Erasure also removes the server's stored copies of uploaded photos whose image rows were erased
// (governance erases catalog rows, index vectors and keys; the copies are the server's own).
#include <httplib.h>

#include "governance/access.h"
#include "governance/erasure.h"
#include "governance/optout.h"
#include "server/form.h"
#include "server/handlers.h"
#include "server/purpose_bound.h"
#include "server/tenant_scope.h"
#include "server/upload_ingest.h"

namespace likeness::server {
namespace {

constexpr size_t kMaxFaceIds = 10'000;

std::span<const uint8_t> Bytes(const httplib::MultipartFormData& f) {
  return {reinterpret_cast<const uint8_t*>(f.content.data()), f.content.size()};
}

// Drops server paths from a governance report and adds the URLs a client can follow.
void Redact(nlohmann::json& faces) {
  if (!faces.is_array()) return;
  for (auto& f : faces) {
    f.erase("image_path");
    f.erase("source_location");
    if (f.contains("face_id")) {
      f["crop_url"] = "/api/v1/faces/" + std::to_string(f["face_id"].get<int64_t>()) + "/crop";
    }
    if (f.contains("image_id")) {
      f["image_url"] = "/api/v1/images/" + std::to_string(f["image_id"].get<int64_t>());
    }
  }
}

// Request references name opt-outs in URLs: the router's {name} alphabet.
bool IsValidRef(std::string_view ref) {
  if (ref.empty() || ref.size() > 128 || ref == "." || ref == "..") return false;
  for (char c : ref) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Result<governance::ErasureRequest> ReadErasureRequest(const nlohmann::json& body) {
  governance::ErasureRequest req;
  ASSIGN_OR_RETURN(std::string by, JsonText(body, "by", true, 20));
  static const std::pair<std::string_view, governance::EraseKind> kKinds[] = {
      {"face", governance::EraseKind::kFace},
      {"image", governance::EraseKind::kImage},
      {"source", governance::EraseKind::kSource},
      {"batch", governance::EraseKind::kBatch},
      {"jurisdiction", governance::EraseKind::kJurisdiction},
      {"subject", governance::EraseKind::kSubject},
      {"person", governance::EraseKind::kPerson}};
  bool known = false;
  for (const auto& [name, kind] : kKinds) {
    if (by == name) {
      req.kind = kind;
      known = true;
    }
  }
  if (!known) {
    return Status::InvalidArgument(
        "'by' must be one of face, image, source, batch, jurisdiction, subject, person");
  }
  ASSIGN_OR_RETURN(req.value,
                   JsonText(body, "value", req.kind != governance::EraseKind::kSubject, 200));
  if (req.kind == governance::EraseKind::kSubject) {
    const auto it = body.find("face_ids");
    if (it == body.end() || !it->is_array() || it->empty()) {
      return Status::InvalidArgument(
          "an erasure by subject names the faces: 'face_ids' (from a subject access report)");
    }
    if (it->size() > kMaxFaceIds) return Status::InvalidArgument("too many face_ids");
    for (const auto& id : *it) {
      if (!id.is_number_integer() || id.get<int64_t>() <= 0) {
        return Status::InvalidArgument("'face_ids' must be positive integers");
      }
      req.face_ids.push_back(id.get<int64_t>());
    }
    if (req.value.empty()) req.value = "api-subject";
  }
  return req;
}

// After an erasure (store lock held exclusively): removes the stored copies of erased uploads.
int64_t RemoveErasedCopies(Services& s) {
  auto swept = SweepUploads(s.engine, /*exclusive=*/true);
  if (!swept.ok()) {
    s.Log("erasure: removing stored copies: " + swept.status().ToString());
    return 0;
  }
  return *swept;
}

// People span every tenant's faces (one clustering per instance): erasing by person is the
// operator tenant's, like listing people. Checked before planning, so a person id reveals nothing.
Status RequireOperatorTenantForPerson(const Call& call, const governance::ErasureRequest& req) {
  if (req.kind != governance::EraseKind::kPerson) return Status::Ok();
  return RequireOperatorTenant(call, "people");
}

// The erasure plan limited to the caller's tenant. Every "not found" - whether the item does not
// exist or belongs to another tenant - becomes the one reply for that kind and value, so the two
// cannot be told apart by their bodies.
Result<governance::ErasurePlan> ScopedPlan(Services& s, const Call& call,
                                           const governance::ErasureRequest& req) {
  auto plan = governance::PlanErasure(s.gov, req);
  Status scoped = plan.status();
  if (plan.ok()) {
    ASSIGN_OR_RETURN(TenantScope scope, ScopeOf(s, call));
    scoped = ScopeErasurePlan(s, scope, *plan);
  }
  if (scoped.code() == StatusCode::kNotFound) {
    return Status::NotFound("nothing this key may erase matches that request");
  }
  RETURN_IF_ERROR(scoped);
  return plan;
}

}  // namespace

Result<Reply> HandleSubjectAccess(Services& s, const Call& call) {
  ASSIGN_OR_RETURN(Form form, Form::Of(call.http));
  ASSIGN_OR_RETURN(const httplib::MultipartFormData* image, form.File("image"));
  ASSIGN_OR_RETURN(governance::Justification why, FormJustification(form, call));
  ASSIGN_OR_RETURN(bool largest, form.Bool("largest", false));
  RETURN_IF_ERROR(CheckImageHeader(s, Bytes(*image)));
  auto lease = s.analyzers.Acquire(s.options.analyzer_wait);
  if (!lease.ok()) return BusyReply();
  ASSIGN_OR_RETURN(engine::SearchResponse probe,
                   governance::SingleFaceProbe(s.engine, Bytes(*image), largest));
  // A tenant's privacy officer answers for the tenant's own sources.
  ASSIGN_OR_RETURN(TenantScope scope, ScopeOf(s, call));
  ASSIGN_OR_RETURN(nlohmann::json report,
                   governance::SubjectAccess(s.gov, probe.faces[0].embedding, probe.probe_sha256,
                                             why, &scope.own));
  Redact(report["faces"]);
  report["probe_sha256"] = probe.probe_sha256;
  if (report.contains("audit_seq") && report["audit_seq"].is_number_integer())
    GrantMedia(s, call, report["audit_seq"].get<int64_t>(), why, report);
  report["options"] = {"POST /api/v1/erasures with by=subject and these face_ids",
                       "POST /api/v1/optouts with this photo"};
  return Reply::Json(report);
}

Result<Reply> HandleAddOptOut(Services& s, const Call& call) {
  RETURN_IF_ERROR(RequireOperatorTenant(call, "opt-outs"));
  ASSIGN_OR_RETURN(Form form, Form::Of(call.http));
  ASSIGN_OR_RETURN(const httplib::MultipartFormData* image, form.File("image"));
  ASSIGN_OR_RETURN(std::string ref, form.Text("request_ref", 128));
  if (!IsValidRef(ref)) {
    return Status::InvalidArgument("'request_ref' is 1-128 characters of A-Z a-z 0-9 . _ -");
  }
  ASSIGN_OR_RETURN(governance::Justification why, FormJustification(form, call));
  ASSIGN_OR_RETURN(bool largest, form.Bool("largest", false));
  RETURN_IF_ERROR(CheckImageHeader(s, Bytes(*image)));
  auto lease = s.analyzers.Acquire(s.options.analyzer_wait);
  if (!lease.ok()) return BusyReply();
  std::unique_lock lock(s.store_mu);
  ASSIGN_OR_RETURN(nlohmann::json out,
                   governance::AddOptOut(s.gov, Bytes(*image), ref, largest, why));
  const int64_t overwritten =
      out.contains("receipt") ? out["receipt"].value("stored_copies_overwritten", int64_t{0}) : 0;
  out["stored_copies_removed"] = overwritten + RemoveErasedCopies(s);
  return Reply::Json(out, 201);
}

Result<Reply> HandleListOptOuts(Services& s, const Call& call) {
  RETURN_IF_ERROR(RequireOperatorTenant(call, "opt-outs"));
  ASSIGN_OR_RETURN(nlohmann::json out, governance::ListOptOuts(s.gov));
  return Reply::Json(out);
}

Result<Reply> HandleWithdrawOptOut(Services& s, const Call& call) {
  RETURN_IF_ERROR(RequireOperatorTenant(call, "opt-outs"));
  ASSIGN_OR_RETURN(nlohmann::json body, JsonObjectBody(call.http, s.options.max_json_bytes));
  ASSIGN_OR_RETURN(governance::Justification why, JsonJustification(body, call));
  std::unique_lock lock(s.store_mu);
  RETURN_IF_ERROR(governance::WithdrawOptOut(s.gov, call.params.at(0), why));
  return Reply::Json({{"request", call.params.at(0)}, {"withdrawn", true}});
}

Result<Reply> HandlePreviewErasure(Services& s, const Call& call) {
  ASSIGN_OR_RETURN(nlohmann::json body, JsonObjectBody(call.http, s.options.max_json_bytes));
  ASSIGN_OR_RETURN(governance::ErasureRequest req, ReadErasureRequest(body));
  // A preview shows which faces a request reaches: a purpose-bound read like any other.
  ASSIGN_OR_RETURN(governance::Justification why, JsonJustification(body, call));
  RETURN_IF_ERROR(RequireOperatorTenantForPerson(call, req));
  ASSIGN_OR_RETURN(governance::ErasurePlan plan, ScopedPlan(s, call, req));
  ASSIGN_OR_RETURN(nlohmann::json preview, governance::PreviewJson(s.gov, plan));
  Redact(preview["faces"]);
  ASSIGN_OR_RETURN(int64_t seq, s.gov.Record("erasure_preview", why, "",
                                             static_cast<int64_t>(plan.face_ids.size()),
                                             {{"by", body["by"]},
                                              {"faces", plan.face_ids.size()},
                                              {"images", plan.image_ids.size()}}));
  preview["audit_seq"] = seq;
  GrantMedia(s, call, seq, why, preview);
  return Reply::Json(preview);
}

Result<Reply> HandleExecuteErasure(Services& s, const Call& call) {
  ASSIGN_OR_RETURN(nlohmann::json body, JsonObjectBody(call.http, s.options.max_json_bytes));
  ASSIGN_OR_RETURN(governance::ErasureRequest req, ReadErasureRequest(body));
  ASSIGN_OR_RETURN(governance::Justification why, JsonJustification(body, call));
  RETURN_IF_ERROR(RequireOperatorTenantForPerson(call, req));
  std::unique_lock lock(s.store_mu);
  ASSIGN_OR_RETURN(governance::ErasurePlan plan, ScopedPlan(s, call, req));
  ASSIGN_OR_RETURN(governance::ErasureReceipt receipt,
                   governance::ExecuteErasure(s.gov, plan, why));
  // ExecuteErasure overwrote and unlinked the erased uploads' copies; the sweep catches orphans.
  receipt.json["stored_copies_removed"] =
      receipt.json.value("stored_copies_overwritten", int64_t{0}) + RemoveErasedCopies(s);
  return Reply::Json(receipt.json);
}

}  // namespace likeness::server
