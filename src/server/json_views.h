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
// art9_condition, jurisdiction, retain_until, crop_url, image_url.
nlohmann::json MatchJson(const engine::Match& match);
// probe_sha256, width, height, threshold, scoring, faces[{index, box, quality, decision, matches}].
nlohmann::json SearchJson(const engine::SearchResponse& response);
// person (null: no person holds the face), name, person_faces, best_score, match,
// template_cosine, matches[MatchJson].
nlohmann::json PersonGroupJson(const engine::PersonGroup& group);

}  // namespace likeness::server
