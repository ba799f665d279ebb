// Sharing a source with another tenant, and revoking the share, each recorded in the audit chain.
//
// A share lets the grantee tenant's keys search the source's faces and read their provenance,
// photos and crops; it never lets the grantee change or erase them. Every share names a GDPR legal
// basis (validated like a search's) and a reference (the case or agreement). Grant and revocation
// are written twice into the audit chain, once under each tenant ("tenant" in the details), so
// both organisations' auditors see them: action "share_source" / "unshare_source", with
// details.side "granted" (owner) or "received" (grantee).
#pragma once

#include <string>

#include "catalog/catalog.h"
#include "governance/justification.h"
#include "privacy/audit_log.h"

namespace likeness::governance {

// Shares `source_id` with `grantee` under why.legal_basis, why.case_ref (the reference) and
// why.purpose, by why.operator_id. Errors: InvalidArgument (justification, own tenant), NotFound
// (source, tenant), AlreadyExists (already shared), the audit log's.
Result<catalog::ShareRecord> ShareSource(catalog::Catalog& catalog, privacy::AuditLog& audit,
                                         int64_t source_id, const std::string& grantee,
                                         const Justification& why);

// Revokes the active share; `why.purpose` is the reason. NotFound when there is none.
Result<catalog::ShareRecord> UnshareSource(catalog::Catalog& catalog, privacy::AuditLog& audit,
                                           int64_t source_id, const std::string& grantee,
                                           const Justification& why);

}  // namespace likeness::governance
