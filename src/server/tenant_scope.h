// Tenant scoping of the API. Every key belongs to one tenant (an organisation); a request sees the
// sources its tenant owns and those actively shared to it (catalog source_shares), and may change
// only those it owns. Lookups by id answer NotFound -- never PermissionDenied -- for another
// tenant's sources, images and faces, so ids reveal nothing about what others hold.
//
// What is instance-wide, and why (docs/PRIVACY.md, "Tenants"):
//   - opt-outs: a person's objection is honoured by every tenant's searches and ingests; only the
//     operator tenant ("default") may add, list or withdraw them (they reach every tenant's data);
//   - the audit chain is one chain: the operator tenant's admins and auditors read all of it, other
//     tenants only the records of their own tenant (and the verification verdict, without counts);
//   - metrics describe the whole process: operator tenant only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "governance/erasure.h"
#include "governance/justification.h"
#include "server/router.h"
#include "server/services.h"

namespace likeness::server {

struct TenantScope {
  std::string tenant;
  std::vector<int64_t> own;      // source ids the tenant owns, ascending
  std::vector<int64_t> visible;  // own + actively shared to it, ascending
  bool Owns(int64_t source_id) const;
  bool Sees(int64_t source_id) const;
  // The instance operator's tenant (catalog::kDefaultTenant).
  bool IsOperator() const;
};

// The scope of the caller of a key-protected route (REQUIRES: call.caller set).
Result<TenantScope> ScopeOf(Services& s, const Call& call);

// Records by id when the scope sees them; NotFound otherwise, with one message per kind ("image
// not found") whatever the id: a missing id and another tenant's give byte-identical replies.
Result<catalog::SourceRecord> VisibleSource(Services& s, const TenantScope& scope, int64_t id);
Result<catalog::ImageRecord> VisibleImage(Services& s, const TenantScope& scope, int64_t id);
Result<catalog::FaceRecord> VisibleFace(Services& s, const TenantScope& scope, int64_t id);

// PermissionDenied unless the caller's tenant is the operator tenant; `what` names the resource.
Status RequireOperatorTenant(const Call& call, std::string_view what);

// Restricts an erasure plan to the tenant's own sources. A plan that names a face, image, batch,
// source or subject face outside them is refused with NotFound (as if absent); a plan by
// jurisdiction keeps only the tenant's own faces and images (NotFound when none remain).
Status ScopeErasurePlan(Services& s, const TenantScope& scope, governance::ErasurePlan& plan);

// The caller's key name as operator and its tenant, for governance justifications.
void StampCaller(const Call& call, governance::Justification& why);

}  // namespace likeness::server
