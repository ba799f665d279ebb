// Policy changes, each audited ("policy" action): blocking and unblocking collection per
// jurisdiction, and the default retention for sources that set no retain-until.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "governance/governance.h"

namespace likeness::governance {

inline constexpr const char* kDefaultRetentionKey = "default_retention_days";

// Blocks collection in `cc` (any case; InvalidArgument for an unassigned code). Returns a JSON
// report: the code, whether it changed, and the images and faces already held from there.
Result<nlohmann::json> BlockJurisdiction(Governance& gov, const std::string& cc,
                                         const Justification& why);
Result<nlohmann::json> UnblockJurisdiction(Governance& gov, const std::string& cc,
                                           const Justification& why);
// Days a face is kept when its source sets no retain-until (1..36500). InvalidArgument otherwise.
Status SetDefaultRetention(Governance& gov, int days, const Justification& why);
Result<std::optional<int>> DefaultRetentionDays(Governance& gov);
// Blocked jurisdictions (with what is held from each) and the default retention.
Result<nlohmann::json> PolicyJson(Governance& gov);

}  // namespace likeness::governance
