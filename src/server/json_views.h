// The API's JSON shapes for engine and catalog values. They differ from the CLI's on purpose: no
// server file paths (an internal detail the API does not leak), ids and URLs a client can follow,
// and the image's size so a client can draw a face box over any rendering of the image.
// Fields are only ever added, never renamed or removed.
#pragma once

#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "engine/person_groups.h"
#include "engine/search.h"
#include "likeness/types.h"

namespace likeness::server {

nlohmann::json BoxJson(const BoxF& box);
nlohmann::json QualityJson(const FaceQuality& quality);
// id, name, kind, collector, legal_basis, art9_condition, jurisdiction, retain_until, created_at.
nlohmann::json SourceJson(const catalog::SourceRecord& source);
// face_id, score (in the search's scoring), score_cosine (raw cosine), match, image_id,
// image_sha256, image_width, image_height, ingested_at, box, source_id, source, legal_basis,
// art9_condition, jurisdiction, retain_until, crop_url, image_url, media ("photo" or "video").
// A face of a video also carries image_format, duration_s, video_url (GET /api/v1/videos/{id}),
// time_offset_s, track_id, track_first_s and track_last_s, and its image_url names the frame
// (/api/v1/images/{id}?t=time_offset_s).
nlohmann::json MatchJson(const engine::Match& match);
// Adds the media/video fields above to a face's JSON.
void AddVideoFields(const catalog::FaceWithProvenance& face, nlohmann::json& j);
// probe_sha256, width, height, threshold, scoring, faces[{index, box, quality, decision, matches}].
nlohmann::json SearchJson(const engine::SearchResponse& response);
// person (null: no person holds the face), name, person_faces, best_score, match,
// template_cosine, matches[MatchJson].
nlohmann::json PersonGroupJson(const engine::PersonGroup& group);

}  // namespace likeness::server
