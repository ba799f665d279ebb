// Audit anchors: the log's head (seq, hash, time) signed with the instance key and written to a
// place outside the data folder (a file, a folder of files, a cluster's NATS key-value bucket).
//
// Why: the chain and the in-log checkpoints cannot show that the newest records were deleted
// together with the checkpoints above them (the log then ends, intact, at an earlier head). An
// anchor kept where the data folder's writer cannot reach remembers the head: a log holding fewer
// records than the anchor, or another hash at the anchor's seq, fails VerifyAgainstAnchor.
//
// An anchor is an exported checkpoint (AuditLog::Checkpoint): the signature covers
// CheckpointMessage(seq, hash, at), so the anchor is also a checkpoint of the log. File format
// (JSON): {"format":"likeness-audit-anchor-v1","instance_id","seq","hash","at","public_key",
// "signature"}. Anchors are not secret (hashes and a signature) and reveal only how many records
// the log held at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "likeness/status.h"
#include "privacy/audit_log.h"

namespace likeness::privacy {

struct AuditAnchor {
  std::string instance_id;  // the data folder's instance id (key_folder.h); may be empty
  int64_t seq = 0;
  std::string hash;
  std::string at;
  std::string public_key;  // hex Ed25519
  std::string signature;   // hex, over CheckpointMessage(seq, hash, at)
  std::string origin;      // where it was read from (file path), for messages; not serialised
};

// Signs the log's current head (AuditLog::Checkpoint). FailedPrecondition for an empty log.
Result<AuditAnchor> MakeAnchor(AuditLog& log, const std::string& instance_id);

std::string AnchorJson(const AuditAnchor& anchor);
// InvalidArgument for anything but a well-formed anchor (the signature is checked by
// VerifyAgainstAnchor, against the log's key).
Result<AuditAnchor> ParseAnchor(std::string_view json, const std::string& origin);

// Writes `anchor` to `file` atomically (temporary file, fsync, rename). InvalidArgument when
// `file` lies inside `data_dir` (an anchor there is deleted with the log it should pin).
Status WriteAnchorFile(const AuditAnchor& anchor, const std::filesystem::path& file,
                       const std::filesystem::path& data_dir);
// The file name for a periodic anchor: audit-anchor-<instance id>-<seq, 12 digits>.json.
std::string AnchorFileName(const AuditAnchor& anchor);
// One anchor file, or every *.json file of a folder (sorted). NotFound when there is none.
Result<std::vector<AuditAnchor>> ReadAnchors(const std::filesystem::path& file_or_folder);

// Checks the log against one anchor: its signature must verify under the log's instance key
// (public_key_hex), the log must hold a record at anchor.seq, and that record's hash must be the
// anchor's. A problem is returned in the report (kTruncatedBelowAnchor naming the missing seqs,
// kDiffersFromAnchor, kBadCheckpointSignature); errors only for failures to read.
Result<AuditVerifyReport> VerifyAgainstAnchor(AuditLog& log, const AuditAnchor& anchor);

}  // namespace likeness::privacy
