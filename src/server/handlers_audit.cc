// The auditor's routes: the audit chain's entries (filtered) and its verification.
#include <httplib.h>

#include <charconv>

#include "privacy/audit_log.h"
#include "server/form.h"
#include "server/handlers.h"
#include "server/tenant_scope.h"

namespace likeness::server {
namespace {

constexpr int64_t kDefaultLimit = 100;
constexpr int64_t kMaxLimit = 1000;

Result<std::optional<std::string>> Param(const httplib::Request& req, const std::string& name) {
  if (!req.has_param(name)) return std::optional<std::string>();
  if (req.get_param_value_count(name) > 1) {
    return Status::InvalidArgument("parameter '" + name + "' is given twice");
  }
  std::string v = req.get_param_value(name);
  if (v.size() > kMaxFieldLength || !IsCleanText(v)) {
    return Status::InvalidArgument("parameter '" + name + "' is not valid text");
  }
  if (v.empty()) return std::optional<std::string>();
  return std::optional<std::string>(std::move(v));
}

}  // namespace

Result<Reply> HandleAuditEntries(Services& s, const Call& call) {
  const auto& req = call.http;
  privacy::AuditQuery q;
  ASSIGN_OR_RETURN(q.operator_id, Param(req, "operator"));
  ASSIGN_OR_RETURN(q.case_ref, Param(req, "case_ref"));
  ASSIGN_OR_RETURN(q.action, Param(req, "action"));
  ASSIGN_OR_RETURN(auto from, Param(req, "from"));
  ASSIGN_OR_RETURN(auto to, Param(req, "to"));
  ASSIGN_OR_RETURN(auto limit, Param(req, "limit"));
  ASSIGN_OR_RETURN(auto order, Param(req, "order"));
  ASSIGN_OR_RETURN(auto batch, Param(req, "batch_id"));
  if (batch) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(batch->data(), batch->data() + batch->size(), v);
    if (ec != std::errc() || end != batch->data() + batch->size() || v < 1) {
      return Status::InvalidArgument("'batch_id' must be a positive integer");
    }
    q.batch_id = v;
  }
  q.from = from.value_or("");
  q.to = to.value_or("");
  q.limit = kDefaultLimit;
  if (limit) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), v);
    if (ec != std::errc() || end != limit->data() + limit->size() || v < 1 || v > kMaxLimit) {
      return Status::InvalidArgument("'limit' must be from 1 to " + std::to_string(kMaxLimit));
    }
    q.limit = v;
  }
  if (order && *order != "newest" && *order != "oldest") {
    return Status::InvalidArgument("'order' must be newest or oldest");
  }
  q.newest_first = !order || *order == "newest";
  // One chain for the instance: the operator tenant reads all of it, other tenants their own.
  ASSIGN_OR_RETURN(TenantScope scope, ScopeOf(s, call));
  if (!scope.IsOperator()) q.tenant = scope.tenant;
  ASSIGN_OR_RETURN(std::vector<privacy::AuditEntry> entries, s.audit.Query(q));
  nlohmann::json list = nlohmann::json::array();
  for (const auto& e : entries) {
    nlohmann::json details = nlohmann::json::parse(e.details, nullptr, false);
    list.push_back({{"seq", e.seq},
                    {"at", e.at},
                    {"operator", e.operator_id},
                    {"action", e.action},
                    {"purpose", e.purpose},
                    {"legal_basis", e.legal_basis},
                    {"case_ref", e.case_ref},
                    {"probe_hash", e.probe_hash},
                    {"result_count", e.result_count},
                    {"details", details.is_discarded() ? nlohmann::json(e.details) : details},
                    {"hash", e.hash},
                    {"prev_hash", e.prev_hash}});
  }
  return Reply::Json({{"entries", std::move(list)}, {"limit", q.limit}});
}

Result<Reply> HandleAuditVerify(Services& s, const Call& call) {
  ASSIGN_OR_RETURN(privacy::AuditVerifyReport r, s.audit.Verify());
  if (RequireOperatorTenant(call, "audit chain counts").code() == StatusCode::kPermissionDenied) {
    // Another tenant learns whether the chain holds, not how many records others made.
    return Reply::Json({{"ok", r.ok},
                        {"problem", privacy::AuditProblemName(r.problem)},
                        {"public_key", s.audit.public_key_hex()}});
  }
  return Reply::Json({{"ok", r.ok},
                      {"records_checked", r.records_checked},
                      {"checkpoints_checked", r.checkpoints_checked},
                      {"first_bad_seq", r.first_bad_seq},
                      {"problem", privacy::AuditProblemName(r.problem)},
                      {"message", r.message},
                      {"public_key", s.audit.public_key_hex()}});
}

}  // namespace likeness::server
