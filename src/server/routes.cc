#include "server/routes.h"

#include "server/handlers.h"

namespace likeness::server {

Router BuildRouter() {
  using enum Role;
  // Who may see faces and the photos they come from: investigators (their results), privacy
  // officers (to act on requests about them) and admins. Auditors and ingest operators may not.
  const RoleSet see_faces = {kAdmin, kSearch, kPrivacy};
  // Everyone with a staff key may read the catalog's shape (sources, counts).
  const RoleSet staff = {kAdmin, kIngest, kSearch, kAuditor, kPrivacy};
  const RoleSet everyone = {kAdmin, kIngest, kSearch, kAuditor, kPrivacy, kSelfCheck};

  Router r;
  const auto add = [&r](const char* method, const char* pattern, Access access, RoleSet roles,
                        Handler handler, bool in_api = true) {
    r.Add(Route{method, pattern, access, roles, in_api, std::move(handler)});
  };
  constexpr Access kPublic = Access::kPublic;
  constexpr Access kRoles = Access::kRoles;

  // System.
  add("GET", "/api/v1/healthz", kPublic, {}, HandleHealthz);
  add("GET", "/api/v1/openapi.json", kPublic, {}, HandleOpenApi);
  add("GET", "/api/v1/whoami", kRoles, everyone, HandleWhoami);
  add("GET", "/api/v1/stats", kRoles, staff, HandleStats);
  add("GET", "/api/v1/metrics", kRoles, {kAdmin, kAuditor}, HandleMetrics);

  // Biometric operations. Search and verify compare identities and are audited.
  add("POST", "/api/v1/search", kRoles, {kAdmin, kSearch}, HandleSearch);
  add("POST", "/api/v1/verify", kRoles, {kAdmin, kSearch}, HandleVerify);
  add("POST", "/api/v1/faces", kRoles, {kAdmin, kSearch, kIngest}, HandleDetectFaces);

  // Sources and ingest.
  add("POST", "/api/v1/sources", kRoles, {kAdmin, kIngest}, HandleCreateSource);
  add("GET", "/api/v1/sources", kRoles, staff, HandleListSources);
  add("GET", "/api/v1/sources/{id}", kRoles, staff, HandleGetSource);
  add("POST", "/api/v1/sources/{id}/images", kRoles, {kAdmin, kIngest}, HandleUploadImages);

  // Stored images and face crops.
  add("GET", "/api/v1/images/{id}", kRoles, see_faces, HandleGetImage);
  add("GET", "/api/v1/faces/{id}/crop", kRoles, see_faces, HandleGetFaceCrop);
  // A stored video for playback: the same roles as its frames (/images/{id}?t=SECONDS).
  add("GET", "/api/v1/videos/{id}", kRoles, see_faces, HandleGetVideo);

  // Privacy officer: subject access, opt-out, erasure (preview, then execute with a receipt).
  const RoleSet privacy = {kAdmin, kPrivacy};
  add("POST", "/api/v1/access", kRoles, privacy, HandleSubjectAccess);
  add("POST", "/api/v1/optouts", kRoles, privacy, HandleAddOptOut);
  add("GET", "/api/v1/optouts", kRoles, privacy, HandleListOptOuts);
  add("POST", "/api/v1/optouts/{ref}/withdraw", kRoles, privacy, HandleWithdrawOptOut);
  add("POST", "/api/v1/erasures/preview", kRoles, privacy, HandlePreviewErasure);
  add("POST", "/api/v1/erasures", kRoles, privacy, HandleExecuteErasure);

  // People (faces grouped by `likeness people cluster`): investigators read, privacy officers edit.
  add("GET", "/api/v1/people", kRoles, see_faces, HandleListPeople);
  add("GET", "/api/v1/people/{id}", kRoles, see_faces, HandleGetPerson);
  add("POST", "/api/v1/people/{id}/name", kRoles, privacy, HandleNamePerson);
  add("POST", "/api/v1/people/{id}/merge", kRoles, privacy, HandleMergePeople);
  add("POST", "/api/v1/people/{id}/split", kRoles, privacy, HandleSplitPerson);

  // Auditor: the audit chain and its verification.
  add("GET", "/api/v1/audit", kRoles, {kAdmin, kAuditor}, HandleAuditEntries);
  add("GET", "/api/v1/audit/verify", kRoles, {kAdmin, kAuditor}, HandleAuditVerify);

  // The public self-check: a liveness challenge, a live capture, the report, erasure/opt-out.
  const RoleSet selfcheck = {kAdmin, kSelfCheck};
  add("POST", "/api/v1/selfcheck/challenge", kRoles, selfcheck, HandleSelfCheckChallenge);
  add("POST", "/api/v1/selfcheck/submit", kRoles, selfcheck, HandleSelfCheckSubmit);
  add("POST", "/api/v1/selfcheck/requests", kRoles, selfcheck, HandleSelfCheckRequest);
  add("GET", "/selfcheck", kPublic, {}, HandleSelfCheckPage, /*in_api=*/false);
  // The privacy officer: the kiosk's requests, and the full report released for a reference.
  add("GET", "/api/v1/selfcheck/requests", kRoles, privacy, HandleListSelfCheckRequests);
  add("POST", "/api/v1/selfcheck/requests/{ref}/release", kRoles, privacy,
      HandleReleaseSelfCheckReport);

  // The web app (public files; it asks for a key and sends it with every API call).
  add("GET", "/", kPublic, {}, HandleWebIndex, /*in_api=*/false);
  add("GET", "/app/{file}", kPublic, {}, HandleWebAsset, /*in_api=*/false);
  return r;
}

}  // namespace likeness::server
