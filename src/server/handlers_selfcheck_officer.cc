// The privacy officer's side of the public self-check (roles privacy and admin, own tenant only):
//  - GET  /api/v1/selfcheck/requests: the kiosk attempts of the officer's organisation, newest
//    first, by request reference: when, the outcome, whether photos are held, attended or not,
//    what the person asked for (erasure, opt-out), and whether the full report was released;
//  - POST /api/v1/selfcheck/requests/{ref}/release: the full Art. 15 report for a passed check,
//    given to the officer once they have verified the requester by the organisation's procedure
//    (purpose, legal basis and case are required), audited as "selfcheck_release".
// Both read the audit chain: the self-check keeps nothing else (no frames, no embeddings).
#include <httplib.h>

#include <map>

#include "governance/selfcheck_report.h"
#include "server/form.h"
#include "server/handlers.h"
#include "server/tenant_scope.h"

namespace likeness::server {
namespace {

constexpr int64_t kListLimit = 500;

Result<std::vector<privacy::AuditEntry>> Records(Services& s, const std::string& action,
                                                 const std::string& tenant,
                                                 const std::string& reference = "") {
  privacy::AuditQuery q;
  q.action = action;
  q.tenant = tenant;
  if (!reference.empty()) q.case_ref = reference;
  q.newest_first = true;
  q.limit = kListLimit;
  return s.audit.Query(q);
}

nlohmann::json Details(const privacy::AuditEntry& e) {
  auto d = nlohmann::json::parse(e.details, nullptr, false);
  return d.is_object() ? d : nlohmann::json::object();
}

}  // namespace

Result<Reply> HandleListSelfCheckRequests(Services& s, const Call& call) {
  ASSIGN_OR_RETURN(TenantScope scope, ScopeOf(s, call));
  ASSIGN_OR_RETURN(auto checks, Records(s, "selfcheck", scope.tenant));
  ASSIGN_OR_RETURN(auto asks, Records(s, "selfcheck_request", scope.tenant));
  ASSIGN_OR_RETURN(auto releases, Records(s, "selfcheck_release", scope.tenant));
  std::map<std::string, std::vector<std::string>> asked;
  for (const auto& e : asks) asked[e.case_ref].push_back(Details(e).value("kind", ""));
  std::map<std::string, std::string> released;
  for (const auto& e : releases) {
    const std::string ref = Details(e).value("reference", "");
    if (!released.count(ref)) released[ref] = e.at;
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : checks) {
    const nlohmann::json d = Details(e);
    const std::string ref = d.value("reference", e.case_ref);
    out.push_back(
        {{"reference", ref},
         {"at", e.at},
         {"outcome", d.value("outcome", "")},
         {"held", e.result_count > 0},
         {"attended", d.value("attended", false)},
         {"kiosk", e.operator_id},
         {"asked", asked.count(ref) ? nlohmann::json(asked[ref]) : nlohmann::json::array()},
         {"released_at", released.count(ref) ? nlohmann::json(released[ref]) : nlohmann::json()},
         {"audit_seq", e.seq}});
  }
  return Reply::Json({{"requests", out}});
}

Result<Reply> HandleReleaseSelfCheckReport(Services& s, const Call& call) {
  const std::string& reference = call.params.at(0);
  ASSIGN_OR_RETURN(nlohmann::json body, JsonObjectBody(call.http, s.options.max_json_bytes));
  governance::Justification why;
  StampCaller(call, why);
  ASSIGN_OR_RETURN(why.purpose, JsonText(body, "purpose", true));
  ASSIGN_OR_RETURN(why.legal_basis, JsonText(body, "legal_basis", true, 100));
  ASSIGN_OR_RETURN(why.case_ref, JsonText(body, "case_ref", true, 200));
  ASSIGN_OR_RETURN(why, governance::ValidateJustification(std::move(why)));
  ASSIGN_OR_RETURN(TenantScope scope, ScopeOf(s, call));
  ASSIGN_OR_RETURN(auto checks, Records(s, "selfcheck", scope.tenant, reference));
  // Another tenant's reference and an unknown one answer alike.
  const privacy::AuditEntry* passed = nullptr;
  for (const auto& e : checks) {
    if (Details(e).value("outcome", "") == "passed") passed = &e;
  }
  if (!passed) return Status::NotFound("no passed self-check with reference " + reference);
  std::vector<int64_t> face_ids;
  for (const auto& id : Details(*passed).value("face_ids", nlohmann::json::array())) {
    if (id.is_number_integer()) face_ids.push_back(id.get<int64_t>());
  }
  // Faces erased since the check are gone from the catalog and from the report.
  ASSIGN_OR_RETURN(auto rows, governance::HeldFacesById(s.gov, face_ids, &scope.own));
  ASSIGN_OR_RETURN(nlohmann::json report, governance::FullSelfCheckReport(s.gov, rows));
  ASSIGN_OR_RETURN(int64_t seq, s.gov.Record("selfcheck_release", why, passed->probe_hash,
                                             static_cast<int64_t>(rows.size()),
                                             {{"reference", reference}, {"face_ids", face_ids}}));
  report["reference"] = reference;
  report["checked_at"] = passed->at;
  report["audit_seq"] = seq;
  return Reply::Json(report);
}

}  // namespace likeness::server
