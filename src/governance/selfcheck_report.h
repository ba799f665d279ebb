// What the public self-check tells whom (docs/PRIVACY.md, "Public self-check: threat model").
//  - A remote caller who passed the live check learns only whether the organisation holds photos
//    of them and, per source, what the organisation publishes about it: the source's public
//    description and the categories of its legal basis (PublicSourceAnswer). Never scores, hit
//    counts, collectors, dates, key names, ids or faces.
//  - An attended kiosk, and the privacy officer releasing the report for a request reference after
//    verifying the requester, get the full Art. 15 report (FullSelfCheckReport).
// Thread safe as Governance.
#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "governance/governance.h"

namespace likeness::governance {

// Held faces matching `embedding` at the search threshold, restricted to `sources` (ascending ids)
// when given. Records nothing (the caller audits the attempt as a whole).
Result<std::vector<catalog::FaceWithProvenance>> SelfCheckMatches(
    Governance& gov, std::span<const float> embedding, const std::vector<int64_t>* sources);

// Faces still held among `face_ids` (erased ones are gone), restricted to `sources` when given.
Result<std::vector<catalog::FaceWithProvenance>> HeldFacesById(Governance& gov,
                                                               std::span<const int64_t> face_ids,
                                                               const std::vector<int64_t>* sources);

// The plain-words categories of a source's legal basis: its Art. 6(1) basis name and, for
// biometric data, its Art. 9(2) condition name ("public task", "substantial public interest").
std::vector<std::string> LegalBasisCategories(const catalog::SourceRecord& source);

// One entry per distinct source: {"description", "legal_basis": [categories]}, ordered by the
// description. A source without a published description is described by the generic text below.
nlohmann::json PublicSourceAnswer(const std::vector<catalog::FaceWithProvenance>& rows);
inline constexpr const char* kUndescribedSource =
    "A photo collection this organisation has not described publicly.";

// The full report, grouped by source: per source its name, public description, collector, legal
// basis (codes and categories), jurisdiction, retention, and per held face the date it was added
// and how many searches returned it. No scores, paths or images.
Result<nlohmann::json> FullSelfCheckReport(Governance& gov,
                                           const std::vector<catalog::FaceWithProvenance>& rows);

}  // namespace likeness::governance
