// The handlers behind the routes in routes.cc, grouped by area. Each one validates its input,
// does one thing through the engine, and returns its reply or a Status.
#pragma once

#include <span>

#include "server/router.h"
#include "server/services.h"

namespace likeness::server {

// handlers_system.cc
Result<Reply> HandleHealthz(Services& s, const Call& call);
Result<Reply> HandleOpenApi(Services& s, const Call& call);
Result<Reply> HandleWhoami(Services& s, const Call& call);
Result<Reply> HandleStats(Services& s, const Call& call);
Result<Reply> HandleMetrics(Services& s, const Call& call);

// handlers_search.cc
Result<Reply> HandleSearch(Services& s, const Call& call);
Result<Reply> HandleVerify(Services& s, const Call& call);
Result<Reply> HandleDetectFaces(Services& s, const Call& call);

// handlers_sources.cc
Result<Reply> HandleCreateSource(Services& s, const Call& call);
Result<Reply> HandleListSources(Services& s, const Call& call);
Result<Reply> HandleGetSource(Services& s, const Call& call);
Result<Reply> HandleUploadImages(Services& s, const Call& call);

// handlers_media.cc
Result<Reply> HandleGetImage(Services& s, const Call& call);
Result<Reply> HandleGetFaceCrop(Services& s, const Call& call);
Result<Reply> HandleGetVideo(Services& s, const Call& call);

// handlers_privacy.cc
Result<Reply> HandleSubjectAccess(Services& s, const Call& call);
Result<Reply> HandleAddOptOut(Services& s, const Call& call);
Result<Reply> HandleListOptOuts(Services& s, const Call& call);
Result<Reply> HandleWithdrawOptOut(Services& s, const Call& call);
Result<Reply> HandlePreviewErasure(Services& s, const Call& call);
Result<Reply> HandleExecuteErasure(Services& s, const Call& call);

// handlers_people.cc
Result<Reply> HandleListPeople(Services& s, const Call& call);
Result<Reply> HandleGetPerson(Services& s, const Call& call);
Result<Reply> HandleNamePerson(Services& s, const Call& call);
Result<Reply> HandleMergePeople(Services& s, const Call& call);
Result<Reply> HandleSplitPerson(Services& s, const Call& call);

// handlers_audit.cc
Result<Reply> HandleAuditEntries(Services& s, const Call& call);
Result<Reply> HandleAuditVerify(Services& s, const Call& call);

// handlers_selfcheck.cc
Result<Reply> HandleSelfCheckChallenge(Services& s, const Call& call);
Result<Reply> HandleSelfCheckSubmit(Services& s, const Call& call);
Result<Reply> HandleSelfCheckRequest(Services& s, const Call& call);
Result<Reply> HandleSelfCheckPage(Services& s, const Call& call);
// handlers_selfcheck_officer.cc
Result<Reply> HandleListSelfCheckRequests(Services& s, const Call& call);
Result<Reply> HandleReleaseSelfCheckReport(Services& s, const Call& call);

// handlers_web.cc
Result<Reply> HandleWebIndex(Services& s, const Call& call);
Result<Reply> HandleWebAsset(Services& s, const Call& call);

// Shared by the handlers: the 503 sent when no analyzer frees up in time.
Reply BusyReply();
// Reads the image header only and refuses (ResourceExhausted) images above
// ServerOptions::max_image_pixels, (InvalidArgument) bytes that are not an image of a known format.
Status CheckImageHeader(const Services& s, std::span<const uint8_t> bytes);

}  // namespace likeness::server
