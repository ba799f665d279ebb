// Internal: verification of an audit.db's hash chain and signed checkpoints (AuditLog::Verify).
#pragma once

#include <cstdint>
#include <span>

#include "likeness/status.h"
#include "privacy/audit_log.h"
#include "privacy/sqlite_db.h"

namespace likeness::privacy {

// Walks the chain in seq order, then checks every checkpoint against `instance_public_key`.
//
// On the first record that does not follow its predecessor, the damage is classified:
//   edited     - the record links to its predecessor but its content fails its hash; or its
//                successor links to a hash no record has (the record was rewritten and re-hashed)
//   deleted    - a seq is missing; or the records after a gap were renumbered (they verify only
//                at a higher seq)
//   reordered  - intact records sit at the wrong seq (the record that belongs here is stored later)
//   inserted   - two records both claim to follow the same predecessor; the one the rest of the
//                chain does not follow is the intruder (the later-stored one when that does not
//                decide, e.g. an exact duplicate)
// Then each checkpoint must carry the instance's public key and a valid signature ("bad checkpoint
// signature"), refer to a record that still exists ("truncated after checkpoint") and match that
// record's hash (otherwise "edited": the chain was rewritten at or before the checkpoint).
// When several problems exist, the one with the lowest first_bad_seq is reported.
//
// REQUIRES: the caller serialises access to `db`.
Result<AuditVerifyReport> VerifyAuditChain(SqliteDb& db,
                                           std::span<const uint8_t> instance_public_key);

}  // namespace likeness::privacy
