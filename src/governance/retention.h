// Retention: every face is kept until its source's retain_until (inclusive), or, for a source that
// sets none, until its image's ingest date plus the policy's default retention days. Faces past
// that date are erased with a receipt.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "governance/erasure.h"

namespace likeness::governance {

// Faces whose retention has passed on `today` (YYYY-MM-DD; InvalidArgument if malformed).
Result<std::vector<int64_t>> ExpiredFaces(Governance& gov, const std::string& today);

// Erases ExpiredFaces(today) and returns the receipt, or {"expired_faces":0} when none expired
// (then nothing is changed, but the run is still audited).
Result<nlohmann::json> RunRetention(Governance& gov, const std::string& today,
                                    const Justification& why);

// Today's UTC date, YYYY-MM-DD.
std::string TodayUtc();

}  // namespace likeness::governance
