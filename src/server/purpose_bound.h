// Purpose-bound reads: the justification (purpose, legal basis, case) a read of faces, photos or
// names states, from a form, a JSON body or the query string of a GET; and the media URLs of the
// faces and photos it returned, each carrying a token bound to the key and the read's audit record
// (media_tokens.h).
#pragma once

#include <nlohmann/json.hpp>

#include "governance/justification.h"
#include "server/form.h"
#include "server/router.h"
#include "server/services.h"

namespace likeness::server {

// purpose, legal_basis, case_ref from a multipart form / a JSON object / the query string (GET),
// the caller stamped as operator and tenant, validated (InvalidArgument names what is missing).
Result<governance::Justification> FormJustification(const Form& form, const Call& call);
Result<governance::Justification> JsonJustification(const nlohmann::json& body, const Call& call);
Result<governance::Justification> QueryJustification(const Call& call);

// Grants the media of audit record `seq` to the calling key: every object in `reply` (searched
// recursively) with a "face_id" and a "crop_url" gets a tokened crop URL, with an "image_id" and an
// "image_url" a tokened image URL; "cover_crop_url" next to "face_ids" likewise for the first face.
// Adds "media_token_ttl_s" at the top level.
void GrantMedia(Services& s, const Call& call, int64_t seq, const governance::Justification& why,
                nlohmann::json& reply);

}  // namespace likeness::server
