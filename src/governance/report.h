// The record of processing activities (GDPR Art. 30), generated from the catalog, the policy and
// the audit chain: per source its basis, condition, jurisdiction, collector, retention and counts;
// blocked jurisdictions; searches and verifies per purpose.
#pragma once

#include <nlohmann/json.hpp>

#include "governance/governance.h"

namespace likeness::governance {

Result<nlohmann::json> ProcessingRecord(Governance& gov);

}  // namespace likeness::governance
