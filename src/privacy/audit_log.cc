#include "privacy/audit_log.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "common/hash.h"
#include "privacy/audit_schema.h"
#include "privacy/audit_verify.h"
#include "privacy/key_folder.h"
#include "privacy/sqlite_db.h"
#include "privacy/utc_time.h"

namespace likeness::privacy {
namespace {

// Parses details as a JSON object and returns its canonical text (sorted keys, no whitespace).
Result<std::string> CanonicalDetails(const std::string& details) {
  if (details.empty()) return std::string("{}");
  nlohmann::json parsed = nlohmann::json::parse(details, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return Status::InvalidArgument("audit details must be a JSON object, got: " + details);
  }
  try {
    return parsed.dump();
  } catch (const nlohmann::json::exception& e) {  // invalid UTF-8 in a string
    return Status::InvalidArgument(std::string("audit details are not valid UTF-8 JSON: ") +
                                   e.what());
  }
}

Result<std::optional<std::pair<int64_t, std::string>>> Head(SqliteDb& db) {
  ASSIGN_OR_RETURN(SqliteStatement s,
                   db.Prepare("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"));
  ASSIGN_OR_RETURN(const bool row, s.Step());
  if (!row) return std::optional<std::pair<int64_t, std::string>>();
  return std::optional(std::make_pair(s.ColumnInt64(0), s.ColumnText(1)));
}

}  // namespace

AuditLogOptions AuditLogOptionsForDataDir(const std::filesystem::path& data_dir) {
  AuditLogOptions o;
  o.db_path = data_dir / "audit.db";
  o.data_dir = data_dir;
  return o;
}

Result<std::unique_ptr<AuditLog>> AuditLog::Open(AuditLogOptions options) {
  if (options.db_path.empty()) return Status::InvalidArgument("audit log: db_path is required");
  if (options.key_path.empty() && options.data_dir.empty()) {
    return Status::InvalidArgument("audit log: key_path or data_dir is required");
  }
  if (options.checkpoint_interval < 0) {
    return Status::InvalidArgument("audit log: checkpoint_interval must be >= 0");
  }
  if (!options.clock) options.clock = [] { return std::chrono::system_clock::now(); };
  std::optional<InstanceKey> loaded;
  if (options.key_path.empty()) {
    ASSIGN_OR_RETURN(const KeyFolder folder, OpenKeyFolder(options.data_dir));
    options.key_path = folder.instance_key();
    ASSIGN_OR_RETURN(loaded, InstanceKey::Load(options.key_path));
  } else {
    ASSIGN_OR_RETURN(loaded, InstanceKey::LoadOrCreate(options.key_path));
  }
  InstanceKey key = std::move(*loaded);
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(options.db_path));
  RETURN_IF_ERROR(PrepareAuditDb(*db));
  return std::unique_ptr<AuditLog>(new AuditLog(std::move(options), std::move(db), std::move(key)));
}

AuditLog::AuditLog(AuditLogOptions options, std::unique_ptr<SqliteDb> db, InstanceKey key)
    : options_(std::move(options)), db_(std::move(db)), key_(std::move(key)) {}

AuditLog::~AuditLog() = default;

std::string AuditLog::Now() const { return FormatUtc(options_.clock()); }

Result<int64_t> AuditLog::Append(const AuditEntry& entry) {
  AuditEntry e = entry;
  ASSIGN_OR_RETURN(e.details, CanonicalDetails(entry.details));

  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(SqliteTransaction txn, SqliteTransaction::Begin(*db_));
  ASSIGN_OR_RETURN(const auto head, Head(*db_));
  e.seq = head ? head->first + 1 : 1;
  e.prev_hash = head ? head->second : std::string(kGenesisHash);
  e.at = Now();
  e.hash = RecordHash(e);

  ASSIGN_OR_RETURN(SqliteStatement s,
                   db_->Prepare("INSERT INTO audit(" + std::string(kAuditColumns) +
                                ") VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  RETURN_IF_ERROR(s.BindInt64(1, e.seq));
  RETURN_IF_ERROR(s.BindText(2, e.at));
  RETURN_IF_ERROR(s.BindText(3, e.operator_id));
  RETURN_IF_ERROR(s.BindText(4, e.action));
  RETURN_IF_ERROR(s.BindText(5, e.purpose));
  RETURN_IF_ERROR(s.BindText(6, e.legal_basis));
  RETURN_IF_ERROR(s.BindText(7, e.case_ref));
  RETURN_IF_ERROR(s.BindText(8, e.probe_hash));
  RETURN_IF_ERROR(s.BindInt64(9, e.result_count));
  RETURN_IF_ERROR(s.BindText(10, e.details));
  RETURN_IF_ERROR(s.BindText(11, e.prev_hash));
  RETURN_IF_ERROR(s.BindText(12, e.hash));
  RETURN_IF_ERROR(s.Run());

  if (options_.checkpoint_interval > 0 && e.seq % options_.checkpoint_interval == 0) {
    RETURN_IF_ERROR(WriteCheckpointLocked(e.seq, e.hash).status());
  }
  RETURN_IF_ERROR(txn.Commit());
  return e.seq;
}

Result<AuditCheckpoint> AuditLog::WriteCheckpointLocked(int64_t seq, const std::string& hash) {
  AuditCheckpoint cp;
  cp.seq = seq;
  cp.hash = hash;
  cp.at = Now();
  const auto sig = key_.Sign(CheckpointMessage(cp.seq, cp.hash, cp.at));
  cp.signature = ToHex(sig);
  cp.public_key = key_.public_key_hex();
  ASSIGN_OR_RETURN(SqliteStatement s,
                   db_->Prepare("INSERT INTO checkpoints(" + std::string(kCheckpointColumns) +
                                ") VALUES(?, ?, ?, ?, ?)"));
  RETURN_IF_ERROR(s.BindInt64(1, cp.seq));
  RETURN_IF_ERROR(s.BindText(2, cp.hash));
  RETURN_IF_ERROR(s.BindText(3, cp.at));
  RETURN_IF_ERROR(s.BindText(4, cp.signature));
  RETURN_IF_ERROR(s.BindText(5, cp.public_key));
  RETURN_IF_ERROR(s.Run());
  return cp;
}

Result<AuditCheckpoint> AuditLog::Checkpoint() {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(SqliteTransaction txn, SqliteTransaction::Begin(*db_));
  ASSIGN_OR_RETURN(const auto head, Head(*db_));
  if (!head) return Status::FailedPrecondition("the audit log is empty; nothing to checkpoint");

  ASSIGN_OR_RETURN(SqliteStatement last,
                   db_->Prepare("SELECT " + std::string(kCheckpointColumns) +
                                " FROM checkpoints ORDER BY seq DESC, id DESC LIMIT 1"));
  ASSIGN_OR_RETURN(const bool has_last, last.Step());
  if (has_last) {
    AuditCheckpoint existing = ReadCheckpointRow(last);
    if (existing.seq == head->first && existing.hash == head->second) return existing;
  }
  ASSIGN_OR_RETURN(AuditCheckpoint cp, WriteCheckpointLocked(head->first, head->second));
  RETURN_IF_ERROR(txn.Commit());
  return cp;
}

Result<AuditVerifyReport> AuditLog::Verify() {
  std::lock_guard lock(mu_);
  // One read transaction, so the walk sees a single snapshot even if another process appends.
  RETURN_IF_ERROR(db_->Exec("BEGIN"));
  Result<AuditVerifyReport> report = VerifyAuditChain(*db_, key_.public_key());
  RETURN_IF_ERROR(db_->Exec("COMMIT"));
  return report;
}

Result<std::vector<AuditEntry>> AuditLog::Query(const AuditQuery& query) {
  if (query.limit <= 0) return Status::InvalidArgument("audit query: limit must be > 0");
  std::string sql = "SELECT " + std::string(kAuditColumns) + " FROM audit WHERE 1";
  std::vector<std::string> args;
  const auto where = [&](const char* clause, const std::string& value) {
    sql += clause;
    args.push_back(value);
  };
  if (query.operator_id) where(" AND operator = ?", *query.operator_id);
  if (query.case_ref) where(" AND case_ref = ?", *query.case_ref);
  if (query.action) where(" AND action = ?", *query.action);
  if (query.tenant) {
    where(
        " AND COALESCE(CASE WHEN json_valid(details) THEN json_extract(details, '$.tenant') END,"
        " 'default') = ?",
        *query.tenant);
  }
  if (query.batch_id) {
    where(
        " AND CASE WHEN json_valid(details) THEN json_extract(details, '$.batch_id') END"
        " = CAST(? AS INTEGER)",
        std::to_string(*query.batch_id));
  }
  if (!query.from.empty()) where(" AND at >= ?", query.from);
  if (!query.to.empty()) where(" AND at < ?", query.to);
  sql += query.newest_first ? " ORDER BY seq DESC" : " ORDER BY seq";
  sql += " LIMIT ?";

  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(SqliteStatement s, db_->Prepare(sql));
  int index = 1;
  for (const std::string& a : args) RETURN_IF_ERROR(s.BindText(index++, a));
  RETURN_IF_ERROR(s.BindInt64(index, query.limit));
  std::vector<AuditEntry> out;
  while (true) {
    ASSIGN_OR_RETURN(const bool row, s.Step());
    if (!row) break;
    out.push_back(ReadAuditRow(s).entry);
  }
  return out;
}

Result<std::optional<AuditEntry>> AuditLog::EntryAt(int64_t seq) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(SqliteStatement s, db_->Prepare("SELECT " + std::string(kAuditColumns) +
                                                   " FROM audit WHERE seq = ?"));
  RETURN_IF_ERROR(s.BindInt64(1, seq));
  ASSIGN_OR_RETURN(const bool row, s.Step());
  if (!row) return std::optional<AuditEntry>();
  return std::optional<AuditEntry>(ReadAuditRow(s).entry);
}

Result<int64_t> AuditLog::LastSeq() {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(const auto head, Head(*db_));
  return head ? head->first : int64_t{0};
}

Result<std::vector<AuditCheckpoint>> AuditLog::Checkpoints() {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(SqliteStatement s, db_->Prepare("SELECT " + std::string(kCheckpointColumns) +
                                                   " FROM checkpoints ORDER BY seq, id"));
  std::vector<AuditCheckpoint> out;
  while (true) {
    ASSIGN_OR_RETURN(const bool row, s.Step());
    if (!row) break;
    out.push_back(ReadCheckpointRow(s));
  }
  return out;
}

}  // namespace likeness::privacy
