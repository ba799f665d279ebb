#include "privacy/audit_schema.h"

#include <string>

namespace likeness::privacy {
namespace {

constexpr int64_t kSchemaVersion = 1;

// The triggers only stop accidents and careless code; anyone with write access to the file can drop
// them. The hash chain and the signed checkpoints are what detect deliberate tampering.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS audit(
  seq INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  operator TEXT NOT NULL,
  action TEXT NOT NULL,
  purpose TEXT NOT NULL,
  legal_basis TEXT NOT NULL,
  case_ref TEXT NOT NULL,
  probe_hash TEXT NOT NULL,
  result_count INTEGER NOT NULL,
  details TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_by_operator ON audit(operator);
CREATE INDEX IF NOT EXISTS audit_by_case ON audit(case_ref);
CREATE INDEX IF NOT EXISTS audit_by_at ON audit(at);
CREATE TABLE IF NOT EXISTS checkpoints(
  id INTEGER PRIMARY KEY,
  seq INTEGER NOT NULL,
  hash TEXT NOT NULL,
  at TEXT NOT NULL,
  signature TEXT NOT NULL,
  public_key TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS checkpoints_by_seq ON checkpoints(seq);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_no_update BEFORE UPDATE ON checkpoints
  BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_no_delete BEFORE DELETE ON checkpoints
  BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
)sql";

}  // namespace

Status PrepareAuditDb(SqliteDb& db) {
  RETURN_IF_ERROR(db.Exec("PRAGMA journal_mode=WAL"));
  // FULL: a record is on stable storage when Append returns, WAL or not.
  RETURN_IF_ERROR(db.Exec("PRAGMA synchronous=FULL"));
  int64_t found = 0;
  {
    ASSIGN_OR_RETURN(SqliteStatement version, db.Prepare("PRAGMA user_version"));
    ASSIGN_OR_RETURN(const bool has_row, version.Step());
    if (has_row) found = version.ColumnInt64(0);
  }
  if (found > kSchemaVersion) {
    return Status::Unsupported(db.path().string() + " has audit schema version " +
                               std::to_string(found) + "; this build reads up to " +
                               std::to_string(kSchemaVersion));
  }
  RETURN_IF_ERROR(db.Exec(kSchema));
  return db.Exec("PRAGMA user_version=" + std::to_string(kSchemaVersion));
}

StoredAuditRow ReadAuditRow(const SqliteStatement& s) {
  StoredAuditRow row;
  for (int c = 0; c < kAuditColumnCount; ++c) row.has_null = row.has_null || s.ColumnIsNull(c);
  AuditEntry& e = row.entry;
  e.seq = s.ColumnInt64(0);
  e.at = s.ColumnText(1);
  e.operator_id = s.ColumnText(2);
  e.action = s.ColumnText(3);
  e.purpose = s.ColumnText(4);
  e.legal_basis = s.ColumnText(5);
  e.case_ref = s.ColumnText(6);
  e.probe_hash = s.ColumnText(7);
  e.result_count = s.ColumnInt64(8);
  e.details = s.ColumnText(9);
  e.prev_hash = s.ColumnText(10);
  e.hash = s.ColumnText(11);
  return row;
}

AuditCheckpoint ReadCheckpointRow(const SqliteStatement& s) {
  return AuditCheckpoint{s.ColumnInt64(0), s.ColumnText(1), s.ColumnText(2), s.ColumnText(3),
                         s.ColumnText(4)};
}

}  // namespace likeness::privacy
