// The audit log: an append-only, hash-chained record of every consequential action (searches,
// ingests, erasures), kept in its own SQLite file so it survives whatever happens to the catalog.
//
// Each record carries the hash of the one before it (see audit_chain.h), so editing, deleting,
// reordering or inserting a record breaks the chain. Every `checkpoint_interval` records, and on
// demand, the log writes a checkpoint: the head (seq, hash) signed with the instance's Ed25519 key.
// Checkpoints catch what the chain alone cannot - the silent removal of the newest records - and,
// exported off the machine, pin the log against a wholesale rewrite.
//
// Limits, stated plainly: someone who can write audit.db AND read instance.key (kept in the key
// folder, outside the data folder: key_folder.h) can forge anything;
// someone who can write audit.db alone can still delete the newest records together with the
// checkpoints that cover them, or append well-formed records after the last checkpoint. Anchors
// (audit_anchor.h: signed heads written outside the data folder) are what close that gap.
//
// Thread safety: all methods may be called concurrently (one mutex). Several processes may append
// to the same file; SQLite's write lock orders them.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "likeness/status.h"
#include "privacy/audit_chain.h"
#include "privacy/instance_key.h"

namespace likeness::privacy {

class SqliteDb;

struct AuditLogOptions {
  std::filesystem::path db_path;  // e.g. <data>/audit.db; the folder must exist
  // The signing key, created (mode 0600) on first use. Empty: instance.key in the key folder of
  // `data_dir` (key_folder.h), which must then exist (OpenKeyFolder creates it for a new folder).
  std::filesystem::path key_path;
  std::filesystem::path data_dir;  // only to find key_path when it is empty
  int64_t checkpoint_interval =
      100;  // a signed checkpoint after every N-th record; 0 = only on demand
  // Where `at` comes from; default std::chrono::system_clock::now. Called with the log's lock held.
  std::function<std::chrono::system_clock::time_point()> clock;
};

// The conventional layout: <data_dir>/audit.db, signed with instance.key from the data folder's key
// folder (key_folder.h: outside the data folder); other fields default.
AuditLogOptions AuditLogOptionsForDataDir(const std::filesystem::path& data_dir);

// Filters for Query; unset fields match everything. Times compare as text against `at`, so a date
// ("2026-03-01") or any prefix of the timestamp format works as a bound.
struct AuditQuery {
  std::optional<std::string> operator_id;
  std::optional<std::string> case_ref;
  std::optional<std::string> action;
  // Only records whose details name this tenant ("tenant" in the details JSON; records without
  // one belong to the "default" tenant, the instance's operator).
  std::optional<std::string> tenant;
  // Only records whose details name this ingest batch ("batch_id" in the details JSON).
  std::optional<int64_t> batch_id;
  std::string from;           // inclusive lower bound on at; empty = none
  std::string to;             // exclusive upper bound on at; empty = none
  int64_t limit = 1000;       // at most this many entries; must be > 0
  bool newest_first = false;  // order by seq descending instead of ascending
};

enum class AuditProblem {
  kNone,
  kEdited,                    // a record's content no longer matches its hash, or was rewritten
  kDeleted,                   // a record is missing from the middle of the chain
  kReordered,                 // records are intact but stored out of order
  kInserted,                  // a record that was never appended sits in the chain
  kBadCheckpointSignature,    // a checkpoint's signature does not verify under the instance key
  kTruncatedAfterCheckpoint,  // records a signed checkpoint covers are gone from the end of the log
  kTruncatedBelowAnchor,      // the log holds fewer records than an anchor kept outside it
  kDiffersFromAnchor,         // the record at an anchor's seq does not have the anchor's hash
};
// "ok", "edited", "deleted", "reordered", "inserted", "bad checkpoint signature",
// "truncated after checkpoint", "truncated below anchor", "differs from anchor".
std::string_view AuditProblemName(AuditProblem problem);

struct AuditVerifyReport {
  bool ok = true;
  int64_t records_checked = 0;      // records found intact and in order before the first problem
  int64_t checkpoints_checked = 0;  // checkpoints whose signature and head were confirmed
  int64_t first_bad_seq = 0;  // 0 when ok; else the lowest seq from which the log is not trusted
  AuditProblem problem = AuditProblem::kNone;
  std::string message;  // for the operator: what is wrong and where
};

class AuditLog {
 public:
  // Opens (creating if needed) the log and the instance key. Errors: InvalidArgument (options),
  // Corruption (damaged key file or database), PermissionDenied (key file permissions), IOError.
  static Result<std::unique_ptr<AuditLog>> Open(AuditLogOptions options);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends a record and returns its seq. Sets seq, at, prev_hash and hash itself (the values in
  // `entry` are ignored). `details` must be a JSON object (empty means {}); it is stored in
  // canonical form. Durable when it returns (synchronous=FULL). Appends even when the chain is
  // already broken: the log never stops recording; Verify reports the damage. Errors:
  // InvalidArgument (details), IOError.
  Result<int64_t> Append(const AuditEntry& entry);

  // Signs the current head and stores the checkpoint; returns the existing one when the head is
  // already checkpointed. Errors: FailedPrecondition (empty log), IOError.
  Result<AuditCheckpoint> Checkpoint();

  // Walks the whole chain and every checkpoint. Damage is reported in the report, not as an error;
  // errors are only for failures to read (IOError, Corruption of the SQLite file itself).
  // Memory is constant in the log's length; a diagnosis after damage scans the table a few more
  // times.
  Result<AuditVerifyReport> Verify();

  // Entries matching `query`, by seq. Errors: InvalidArgument (limit), IOError.
  Result<std::vector<AuditEntry>> Query(const AuditQuery& query);

  // The record at `seq`; nullopt when there is none. Errors: IOError.
  Result<std::optional<AuditEntry>> EntryAt(int64_t seq);
  // The highest seq held (0 for an empty log). Errors: IOError.
  Result<int64_t> LastSeq();

  // All checkpoints by seq, for export to somewhere the log's own host cannot rewrite.
  Result<std::vector<AuditCheckpoint>> Checkpoints();

  // Hex Ed25519 public key that verifies this instance's checkpoints.
  std::string public_key_hex() const { return key_.public_key_hex(); }

 private:
  AuditLog(AuditLogOptions options, std::unique_ptr<SqliteDb> db, InstanceKey key);
  std::string Now() const;
  // REQUIRES: mu_ held and a write transaction open.
  Result<AuditCheckpoint> WriteCheckpointLocked(int64_t seq, const std::string& hash);

  const AuditLogOptions options_;
  std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;  // guarded by mu_
  const InstanceKey key_;
};

}  // namespace likeness::privacy
