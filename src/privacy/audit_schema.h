// Internal: the audit.db schema and row readers shared by AuditLog and the chain verifier.
#pragma once

#include <string_view>

#include "likeness/status.h"
#include "privacy/audit_chain.h"
#include "privacy/sqlite_db.h"

namespace likeness::privacy {

// Column list matching ReadAuditRow, for "SELECT <kAuditColumns> FROM audit ...".
inline constexpr std::string_view kAuditColumns =
    "seq, at, operator, action, purpose, legal_basis, case_ref, probe_hash, result_count, details, "
    "prev_hash, hash";
inline constexpr int kAuditColumnCount = 12;
inline constexpr std::string_view kCheckpointColumns = "seq, hash, at, signature, public_key";

struct StoredAuditRow {
  AuditEntry entry;
  bool has_null = false;  // some column was NULL (never written by AuditLog: tampering)
};

// Sets WAL + synchronous=FULL and creates the tables, indexes and append-only triggers if absent.
// Errors: Unsupported (written by a newer schema), IOError, Corruption.
Status PrepareAuditDb(SqliteDb& db);
// Reads a row selected with kAuditColumns.
StoredAuditRow ReadAuditRow(const SqliteStatement& stmt);
// Reads a row selected with kCheckpointColumns.
AuditCheckpoint ReadCheckpointRow(const SqliteStatement& stmt);

}  // namespace likeness::privacy
