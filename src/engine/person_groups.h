// Search results grouped by person (<data>/people.db, src/openset/people_store.h): the matches of
// one probe face folded into one entry per person, with the person's quality-weighted template
// scored against the probe. Faces no person holds stay single entries (person 0).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/search.h"

namespace likeness::engine {

// Floor of a face's weight in a person template: a face of quality 0 still counts a little.
inline constexpr float kMinTemplateQualityWeight = 0.05f;

struct PersonGroup {
  int64_t person = 0;        // 0: a face no person holds (one group per such face)
  std::string name;          // empty until named
  int64_t person_faces = 0;  // faces the person holds in all (not only those matched)
  float best_score = 0;      // the best of `matches`, in the search's scoring
  bool is_match = false;     // best_score clears the threshold
  // Raw cosine of the probe against the person's template (L2-normalised quality-weighted mean of
  // the person's searchable faces); absent for person 0.
  std::optional<float> template_cosine;
  std::vector<Match> matches;  // best first
};

// Groups `matches` (best first) by person; groups ordered by best score. With no people.db every
// match is its own group. Errors: people.db's, the catalog's.
Result<std::vector<PersonGroup>> GroupByPerson(Engine& engine, std::span<const float> probe,
                                               const std::vector<Match>& matches);

// The L2-normalised quality-weighted mean of `faces` (weights max(quality, floor)); faces without
// an embedding or below the search floor are left out. NotFound when none is left.
Result<Embedding> PersonTemplate(Engine& engine, std::span<const int64_t> faces);

}  // namespace likeness::engine
