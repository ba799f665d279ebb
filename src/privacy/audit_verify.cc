#include "privacy/audit_verify.h"

#include <sodium.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "common/hash.h"
#include "privacy/audit_schema.h"
#include "privacy/instance_key.h"

namespace likeness::privacy {
namespace {

// How far above its stored seq a record is tried when looking for renumbering after a deletion.
constexpr int64_t kMaxRenumberSearch = 10'000;

std::string Seq(int64_t seq) { return std::to_string(seq); }

AuditVerifyReport Problem(AuditProblem problem, int64_t first_bad_seq, std::string message) {
  AuditVerifyReport r;
  r.ok = false;
  r.problem = problem;
  r.first_bad_seq = first_bad_seq;
  r.message = std::move(message);
  return r;
}

// True when the row's stored hash is its hash as record number `position`.
bool ValidAt(const StoredAuditRow& row, int64_t position) {
  if (row.has_null) return false;
  AuditEntry e = row.entry;
  e.seq = position;
  return RecordHash(e) == row.entry.hash;
}

std::optional<std::vector<uint8_t>> FromHex(const std::string& hex, size_t expected_size) {
  std::vector<uint8_t> out(expected_size);
  size_t n = 0;
  if (hex.size() != expected_size * 2 ||
      sodium_hex2bin(out.data(), out.size(), hex.data(), hex.size(), nullptr, &n, nullptr) != 0 ||
      n != expected_size) {
    return std::nullopt;
  }
  return out;
}

// Random-access questions the diagnosis asks of the table. Each is at most one scan.
class ChainQueries {
 public:
  explicit ChainQueries(SqliteDb& db) : db_(db) {}

  Result<std::optional<StoredAuditRow>> RowAt(int64_t seq) {
    ASSIGN_OR_RETURN(SqliteStatement s, db_.Prepare("SELECT " + std::string(kAuditColumns) +
                                                    " FROM audit WHERE seq = ?"));
    RETURN_IF_ERROR(s.BindInt64(1, seq));
    ASSIGN_OR_RETURN(const bool row, s.Step());
    if (!row) return std::optional<StoredAuditRow>();
    return std::optional<StoredAuditRow>(ReadAuditRow(s));
  }

  // The lowest seq below `below` whose stored hash is `hash`.
  Result<std::optional<int64_t>> SeqWithHash(const std::string& hash,
                                             int64_t below = std::numeric_limits<int64_t>::max()) {
    ASSIGN_OR_RETURN(SqliteStatement s,
                     db_.Prepare("SELECT seq FROM audit WHERE hash = ? AND seq < ? "
                                 "ORDER BY seq LIMIT 1"));
    RETURN_IF_ERROR(s.BindText(1, hash));
    RETURN_IF_ERROR(s.BindInt64(2, below));
    ASSIGN_OR_RETURN(const bool row, s.Step());
    if (!row) return std::optional<int64_t>();
    return std::optional<int64_t>(s.ColumnInt64(0));
  }

  // Whether any record names `hash` as its predecessor.
  Result<bool> HasSuccessor(const std::string& hash) {
    ASSIGN_OR_RETURN(SqliteStatement s,
                     db_.Prepare("SELECT 1 FROM audit WHERE prev_hash = ? LIMIT 1"));
    RETURN_IF_ERROR(s.BindText(1, hash));
    return s.Step();
  }

  // Records stored above `seq` that name `prev` as their predecessor.
  Result<std::vector<StoredAuditRow>> RowsWithPrevAbove(const std::string& prev, int64_t seq) {
    ASSIGN_OR_RETURN(SqliteStatement s,
                     db_.Prepare("SELECT " + std::string(kAuditColumns) +
                                 " FROM audit WHERE prev_hash = ? AND seq > ? ORDER BY seq"));
    RETURN_IF_ERROR(s.BindText(1, prev));
    RETURN_IF_ERROR(s.BindInt64(2, seq));
    std::vector<StoredAuditRow> rows;
    while (true) {
      ASSIGN_OR_RETURN(const bool row, s.Step());
      if (!row) break;
      rows.push_back(ReadAuditRow(s));
    }
    return rows;
  }

 private:
  SqliteDb& db_;
};

// Classifies the damage at position k, where `row` is stored at seq k but is not the valid
// successor of the record at k-1 (whose hash is `prev`). See the contract in audit_verify.h.
Result<AuditVerifyReport> Diagnose(SqliteDb& db, int64_t k, const StoredAuditRow& row,
                                   const std::string& prev) {
  ChainQueries q(db);
  const AuditEntry& r = row.entry;

  if (r.prev_hash == prev) {
    return Problem(AuditProblem::kEdited, k,
                   "record " + Seq(k) + " was modified: its content no longer matches its hash");
  }

  // Does the row validly follow an earlier record than k-1? Then two records claim one position.
  ASSIGN_OR_RETURN(const std::optional<int64_t> earlier, q.SeqWithHash(r.prev_hash, k));
  if (earlier && ValidAt(row, *earlier + 1)) {
    const int64_t pos = *earlier + 1;
    ASSIGN_OR_RETURN(const std::optional<StoredAuditRow> rival, q.RowAt(pos));
    bool rival_followed = false;
    if (rival) {
      ASSIGN_OR_RETURN(rival_followed, q.HasSuccessor(rival->entry.hash));
    }
    ASSIGN_OR_RETURN(const bool row_followed, q.HasSuccessor(r.hash));
    // The genuine one of the two is normally followed by the rest of the chain. When that does not
    // decide it (a duplicate, or both at the tail), the later-stored row is reported.
    const int64_t intruder = (row_followed && !rival_followed) ? pos : k;
    return Problem(AuditProblem::kInserted, intruder,
                   "records " + Seq(pos) + " and " + Seq(k) + " both claim to follow record " +
                       Seq(*earlier) + "; record " + Seq(intruder) + " was inserted");
  }

  // Is the record that belongs at k stored further on?
  ASSIGN_OR_RETURN(const std::vector<StoredAuditRow> successors, q.RowsWithPrevAbove(prev, k));
  for (const StoredAuditRow& s : successors) {
    if (ValidAt(s, k)) {
      return Problem(AuditProblem::kReordered, k,
                     "records are out of order: the record that belongs at seq " + Seq(k) +
                         " is stored at seq " + Seq(s.entry.seq));
    }
  }

  ASSIGN_OR_RETURN(const std::optional<int64_t> predecessor, q.SeqWithHash(r.prev_hash));
  if (predecessor) {
    if (*predecessor > k) {
      return Problem(AuditProblem::kReordered, k,
                     "records are out of order: record " + Seq(k) +
                         " follows the record stored at seq " + Seq(*predecessor));
    }
    return Problem(AuditProblem::kEdited, k,
                   "record " + Seq(k) + " was modified: it does not follow record " + Seq(k - 1));
  }
  // The row names a predecessor that no longer exists.
  if (k > 1 && ValidAt(row, k)) {
    return Problem(AuditProblem::kEdited, k - 1,
                   "record " + Seq(k - 1) + " was rewritten: record " + Seq(k) +
                       " links to a hash that record " + Seq(k - 1) + " no longer has");
  }
  for (int64_t p = k + 1; p <= k + kMaxRenumberSearch; ++p) {
    if (ValidAt(row, p)) {
      return Problem(AuditProblem::kDeleted, k,
                     Seq(p - k) + " record(s) from seq " + Seq(k) +
                         " were deleted and the later records renumbered");
    }
  }
  return Problem(AuditProblem::kEdited, k,
                 "record " + Seq(k) + " was modified: its content no longer matches its hash");
}

// Walks the chain. Returns a problem report, or ok with records_checked = the number of records.
Result<AuditVerifyReport> WalkChain(SqliteDb& db) {
  ASSIGN_OR_RETURN(SqliteStatement s,
                   db.Prepare("SELECT " + std::string(kAuditColumns) + " FROM audit ORDER BY seq"));
  AuditVerifyReport report;
  std::string prev(kGenesisHash);
  int64_t k = 1;
  while (true) {
    ASSIGN_OR_RETURN(const bool has_row, s.Step());
    if (!has_row) break;
    const StoredAuditRow row = ReadAuditRow(s);
    const int64_t seq = row.entry.seq;
    if (seq > k) {
      report = Problem(AuditProblem::kDeleted, k,
                       seq == k + 1 ? "record " + Seq(k) + " was deleted"
                                    : "records " + Seq(k) + ".." + Seq(seq - 1) + " were deleted");
    } else if (seq < k) {
      report = Problem(AuditProblem::kInserted, seq,
                       "a record with seq " + Seq(seq) + " was inserted before the first record");
    } else if (row.entry.prev_hash == prev && ValidAt(row, k)) {
      prev = row.entry.hash;
      ++k;
      continue;
    } else {
      ASSIGN_OR_RETURN(report, Diagnose(db, k, row, prev));
    }
    report.records_checked = std::max<int64_t>(0, std::min(k, report.first_bad_seq) - 1);
    return report;
  }
  report.records_checked = k - 1;
  return report;
}

}  // namespace

std::string_view AuditProblemName(AuditProblem problem) {
  switch (problem) {
    case AuditProblem::kNone:
      return "ok";
    case AuditProblem::kEdited:
      return "edited";
    case AuditProblem::kDeleted:
      return "deleted";
    case AuditProblem::kReordered:
      return "reordered";
    case AuditProblem::kInserted:
      return "inserted";
    case AuditProblem::kBadCheckpointSignature:
      return "bad checkpoint signature";
    case AuditProblem::kTruncatedAfterCheckpoint:
      return "truncated after checkpoint";
    case AuditProblem::kTruncatedBelowAnchor:
      return "truncated below anchor";
    case AuditProblem::kDiffersFromAnchor:
      return "differs from anchor";
  }
  return "unknown";
}

Result<AuditVerifyReport> VerifyAuditChain(SqliteDb& db,
                                           std::span<const uint8_t> instance_public_key) {
  ASSIGN_OR_RETURN(AuditVerifyReport chain, WalkChain(db));
  const int64_t intact = chain.records_checked;  // records 1..intact are verified
  const std::string instance_hex = ToHex(instance_public_key);
  ChainQueries q(db);

  ASSIGN_OR_RETURN(SqliteStatement s, db.Prepare("SELECT " + std::string(kCheckpointColumns) +
                                                 " FROM checkpoints ORDER BY seq, id"));
  int64_t checked = 0;
  int64_t last_good = 0;  // seq of the last checkpoint confirmed against the chain
  std::optional<AuditVerifyReport> cp_problem;
  while (!cp_problem) {
    ASSIGN_OR_RETURN(const bool has_row, s.Step());
    if (!has_row) break;
    const AuditCheckpoint cp = ReadCheckpointRow(s);
    // A checkpoint at or past a chain break says nothing the chain report does not already say.
    if (!chain.ok && cp.seq >= chain.first_bad_seq) break;
    const auto signature = FromHex(cp.signature, InstanceKey::kSignatureSize);
    if (cp.public_key != instance_hex || !signature ||
        !InstanceKey::VerifySignature(instance_public_key,
                                      CheckpointMessage(cp.seq, cp.hash, cp.at), *signature)) {
      cp_problem = Problem(
          AuditProblem::kBadCheckpointSignature, cp.seq,
          "the checkpoint at seq " + Seq(cp.seq) + " (" + cp.at + ")" +
              (cp.public_key != instance_hex ? " names a public key that is not this instance's"
                                             : " has a signature that does not verify"));
      break;
    }
    if (cp.seq > intact) {
      cp_problem =
          Problem(AuditProblem::kTruncatedAfterCheckpoint, intact + 1,
                  "the checkpoint signed at " + cp.at + " covers records up to seq " + Seq(cp.seq) +
                      " but the log ends at seq " + Seq(intact) + ": records " + Seq(intact + 1) +
                      ".." + Seq(cp.seq) + " were deleted");
      break;
    }
    ASSIGN_OR_RETURN(const std::optional<StoredAuditRow> row, q.RowAt(cp.seq));
    if (!row || row->entry.hash != cp.hash) {
      cp_problem =
          Problem(AuditProblem::kEdited, last_good + 1,
                  "record " + Seq(cp.seq) + " does not have the hash its signed checkpoint (" +
                      cp.at + ") records: the chain was rewritten somewhere in seq " +
                      Seq(last_good + 1) + ".." + Seq(cp.seq));
      break;
    }
    last_good = cp.seq;
    ++checked;
  }

  AuditVerifyReport report = chain;
  if (cp_problem && (chain.ok || cp_problem->first_bad_seq < chain.first_bad_seq)) {
    report = *cp_problem;
    report.records_checked = std::min(intact, report.first_bad_seq - 1);
  }
  report.checkpoints_checked = checked;
  if (report.ok) {
    report.message =
        "all " + Seq(intact) + " records and " + Seq(checked) + " checkpoints verified";
  }
  return report;
}

}  // namespace likeness::privacy
