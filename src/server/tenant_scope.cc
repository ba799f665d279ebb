#include "server/tenant_scope.h"

#include <algorithm>

namespace likeness::server {
namespace {

bool In(const std::vector<int64_t>& sorted, int64_t id) {
  return std::binary_search(sorted.begin(), sorted.end(), id);
}

// The one NotFound for a kind: the same bytes whatever the id, and whether it does not exist or
// belongs to another tenant (the id is in the request; echoing it would only make replies differ).
Status Absent(std::string_view kind, int64_t /*id*/) {
  return Status::NotFound(std::string(kind) + " not found");
}

}  // namespace

bool TenantScope::Owns(int64_t source_id) const { return In(own, source_id); }
bool TenantScope::Sees(int64_t source_id) const { return In(visible, source_id); }
bool TenantScope::IsOperator() const { return tenant == catalog::kDefaultTenant; }

Result<TenantScope> ScopeOf(Services& s, const Call& call) {
  TenantScope scope;
  scope.tenant =
      call.caller->tenant.empty() ? std::string(catalog::kDefaultTenant) : call.caller->tenant;
  ASSIGN_OR_RETURN(scope.visible, s.engine.catalog().VisibleSourceIds(scope.tenant));
  ASSIGN_OR_RETURN(std::vector<catalog::SourceRecord> sources, s.engine.catalog().ListSources());
  for (const auto& src : sources) {
    if (src.tenant == scope.tenant) scope.own.push_back(src.id);
  }
  std::sort(scope.own.begin(), scope.own.end());
  return scope;
}

Result<catalog::SourceRecord> VisibleSource(Services& s, const TenantScope& scope, int64_t id) {
  if (!scope.Sees(id)) return Absent("source", id);
  return s.engine.catalog().GetSource(id);
}

Result<catalog::ImageRecord> VisibleImage(Services& s, const TenantScope& scope, int64_t id) {
  auto image = s.engine.catalog().GetImage(id);
  if (!image.ok()) {
    if (image.status().code() == StatusCode::kNotFound) return Absent("image", id);
    return image.status();
  }
  if (!scope.Sees(image->source_id)) return Absent("image", id);
  return image;
}

Result<catalog::FaceRecord> VisibleFace(Services& s, const TenantScope& scope, int64_t id) {
  auto face = s.engine.catalog().GetFace(id, false);
  if (!face.ok()) {
    if (face.status().code() == StatusCode::kNotFound) return Absent("face", id);
    return face.status();
  }
  auto image = VisibleImage(s, scope, face->image_id);
  if (!image.ok()) {
    if (image.status().code() == StatusCode::kNotFound) return Absent("face", id);
    return image.status();
  }
  return face;
}

Status RequireOperatorTenant(const Call& call, std::string_view what) {
  const std::string& t = call.caller->tenant;
  if (t.empty() || t == catalog::kDefaultTenant) return Status::Ok();
  return Status::PermissionDenied(std::string(what) +
                                  " are instance-wide: only the operator tenant's keys may use "
                                  "them (this key belongs to tenant '" +
                                  t + "')");
}

Status ScopeErasurePlan(Services& s, const TenantScope& scope, governance::ErasurePlan& plan) {
  using governance::EraseKind;
  const EraseKind kind = plan.request.kind;
  const bool filter = kind == EraseKind::kJurisdiction;
  if (plan.source_id != 0 && !scope.Owns(plan.source_id)) {
    return Absent("source", plan.source_id);
  }
  ASSIGN_OR_RETURN(auto faces, s.engine.catalog().GetFacesWithProvenance(plan.face_ids));
  // A named face that is held nowhere answers like another tenant's (a subject erasure names its
  // faces by id): otherwise "missing" would preview as nothing and "not yours" as NotFound.
  if (!filter && faces.size() != plan.face_ids.size()) return Absent("face", 0);
  std::vector<int64_t> own_faces;
  for (const auto& f : faces) {
    if (scope.Owns(f.source.id)) {
      own_faces.push_back(f.face.id);
    } else if (!filter) {
      return Absent("face", f.face.id);
    }
  }
  std::vector<int64_t> own_images;
  for (int64_t id : plan.image_ids) {
    ASSIGN_OR_RETURN(catalog::ImageRecord image, s.engine.catalog().GetImage(id));
    if (scope.Owns(image.source_id)) {
      own_images.push_back(id);
    } else if (!filter) {
      return Absent("image", id);
    }
  }
  if (filter && own_faces.empty() && own_images.empty()) {
    return Status::NotFound("nothing held in jurisdiction " + plan.request.value);
  }
  // Keep the plan's order; drop what the tenant does not own.
  std::sort(own_faces.begin(), own_faces.end());
  std::erase_if(plan.face_ids, [&](int64_t id) { return !In(own_faces, id); });
  plan.image_ids = std::move(own_images);
  return Status::Ok();
}

void StampCaller(const Call& call, governance::Justification& why) {
  why.operator_id = call.caller->name;
  why.tenant =
      call.caller->tenant.empty() ? std::string(catalog::kDefaultTenant) : call.caller->tenant;
}

}  // namespace likeness::server
