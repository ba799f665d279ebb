// Subject access: whether and where a person's face is held (sources, dates, legal basis,
// retention, how many searches returned it), from a new photo or from a face already held. Nothing
// from the request is stored except the probe hash in the audit chain ("access" action).
#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "governance/governance.h"

namespace likeness::governance {

// The report for the face `embedding` (matching held faces at the search threshold).
// `probe_hash` is what the audit records. With `sources` (ascending ids), only faces held in those
// sources are reported and recorded (a tenant's privacy officer answers for its own sources).
Result<nlohmann::json> SubjectAccess(Governance& gov, std::span<const float> embedding,
                                     const std::string& probe_hash, const Justification& why,
                                     const std::vector<int64_t>* sources = nullptr);

// The embedding of a held face chosen by its image's stored path or content hash (the largest face
// of that image). NotFound when no such image or it holds no face.
Result<Embedding> HeldFaceEmbedding(Governance& gov, const std::string& path,
                                    const std::string& sha256);

}  // namespace likeness::governance
