#include "governance/sharing.h"

#include <nlohmann/json.hpp>

namespace likeness::governance {
namespace {

// One record per side, so each tenant's view of the chain shows the share.
Status RecordBothSides(privacy::AuditLog& audit, const std::string& action,
                       const Justification& why, const catalog::SourceRecord& source,
                       const catalog::ShareRecord& share) {
  for (const char* side : {"granted", "received"}) {
    const bool owner = std::string_view(side) == "granted";
    privacy::AuditEntry e;
    e.operator_id = why.operator_id;
    e.action = action;
    e.purpose = why.purpose;
    e.legal_basis = share.legal_basis;
    e.case_ref = share.reference;
    e.details = nlohmann::json{{"tenant", owner ? source.tenant : share.tenant},
                               {"side", side},
                               {"share_id", share.id},
                               {"source_id", source.id},
                               {"source", source.name},
                               {"owner", source.tenant},
                               {"grantee", share.tenant}}
                    .dump();
    RETURN_IF_ERROR(audit.Append(e).status());
  }
  return Status::Ok();
}

}  // namespace

Result<catalog::ShareRecord> ShareSource(catalog::Catalog& catalog, privacy::AuditLog& audit,
                                         int64_t source_id, const std::string& grantee,
                                         const Justification& raw) {
  ASSIGN_OR_RETURN(Justification why, ValidateJustification(raw));
  ASSIGN_OR_RETURN(catalog::SourceRecord source, catalog.GetSource(source_id));
  catalog::ShareRecord grant;
  grant.source_id = source_id;
  grant.tenant = grantee;
  grant.legal_basis = why.legal_basis;
  grant.reference = why.case_ref;
  grant.granted_by = why.operator_id;
  ASSIGN_OR_RETURN(catalog::ShareRecord share, catalog.ShareSource(grant));
  if (Status st = RecordBothSides(audit, "share_source", why, source, share); !st.ok()) {
    // No audit record, no share: take it back before reporting the failure.
    (void)catalog.UnshareSource(source_id, grantee, why.operator_id, "audit record failed");
    return st;
  }
  return share;
}

Result<catalog::ShareRecord> UnshareSource(catalog::Catalog& catalog, privacy::AuditLog& audit,
                                           int64_t source_id, const std::string& grantee,
                                           const Justification& why) {
  if (why.operator_id.empty()) return Status::InvalidArgument("no operator");
  if (why.purpose.empty()) return Status::InvalidArgument("an unshare needs a reason");
  ASSIGN_OR_RETURN(catalog::SourceRecord source, catalog.GetSource(source_id));
  ASSIGN_OR_RETURN(catalog::ShareRecord share,
                   catalog.UnshareSource(source_id, grantee, why.operator_id, why.purpose));
  RETURN_IF_ERROR(RecordBothSides(audit, "unshare_source", why, source, share));
  return share;
}

}  // namespace likeness::governance
