// Opt-out that holds: a person's face template, sealed under the "optout" data key and stored with
// nothing but the request reference; every held face matching it (kOptOutThreshold) is erased at
// once, ingestion drops matching faces from then on, and Governance::Search never returns one.
#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "governance/erasure.h"

namespace likeness::governance {

// Adds the opt-out and erases every held match; returns {request, matched faces, receipt}.
// InvalidArgument: empty reference, a probe with no face or several (unless `largest`).
// AlreadyExists: the reference is taken. Audited as "optout".
Result<nlohmann::json> AddOptOut(Governance& gov, std::span<const uint8_t> probe,
                                 const std::string& request_ref, bool largest,
                                 const Justification& why);
// AddOptOut for a template already computed (a cluster shard applying an opt-out from its log):
// `probe_sha256` is recorded in the audit chain. InvalidArgument for an empty reference or a
// template of the wrong size; AlreadyExists for a reference already taken.
Result<nlohmann::json> AddOptOutTemplate(Governance& gov, std::span<const float> embedding,
                                         const std::string& probe_sha256,
                                         const std::string& request_ref, const Justification& why);
// References and dates only (templates are never shown).
Result<nlohmann::json> ListOptOuts(Governance& gov);
// Removes the template; later ingests may store the person again. NotFound for an unknown ref.
Status WithdrawOptOut(Governance& gov, const std::string& request_ref, const Justification& why);

}  // namespace likeness::governance
