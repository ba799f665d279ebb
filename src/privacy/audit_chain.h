// Audit records and the rules that chain them: the canonical encoding that each record's hash
// covers, the genesis link, and the message a checkpoint signs. Pure functions, thread safe.
//
// hash(record) = hex(SHA-256(encoding)), where encoding is the ASCII tag "likeness-audit-record-v1"
// followed by, for each field in this order - seq, at, operator, action, purpose, legal_basis,
// case_ref, probe_hash, result_count, details, prev_hash - its 8-byte big-endian length and its
// bytes (integers as decimal text). Length prefixes make the encoding unambiguous: no two different
// records share one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace likeness::privacy {

struct AuditEntry {
  int64_t seq = 0;             // 1, 2, 3, ... assigned by AuditLog::Append
  std::string at;              // UTC "YYYY-MM-DDTHH:MM:SS.ffffffZ", assigned by AuditLog::Append
  std::string operator_id;     // who acted (stored in the "operator" column)
  std::string action;          // what was done, e.g. "search", "ingest", "erase"
  std::string purpose;         // why, in the operator's words
  std::string legal_basis;     // e.g. "art6-1-e" (validate with privacy/legal.h before logging)
  std::string case_ref;        // the case or ticket the action belongs to
  std::string probe_hash;      // SHA-256 hex of the probe image, for searches
  int64_t result_count = 0;    // how many results were returned
  std::string details = "{}";  // a JSON object (text); Append stores it in canonical form
  std::string prev_hash;       // hash of record seq-1 (kGenesisHash for seq 1), set by Append
  std::string hash;            // RecordHash(*this), set by Append
};

struct AuditCheckpoint {
  int64_t seq = 0;         // the last record covered
  std::string hash;        // that record's hash (the chain head at seq)
  std::string at;          // when the checkpoint was made (same format as AuditEntry::at)
  std::string signature;   // hex Ed25519 signature of CheckpointMessage(seq, hash, at)
  std::string public_key;  // hex Ed25519 public key of the instance that signed
};

// prev_hash of the first record: 64 '0' characters.
inline constexpr std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// The bytes a record's hash covers (see the file comment). Ignores entry.hash.
std::string CanonicalRecordEncoding(const AuditEntry& entry);
// Lower-case hex SHA-256 of CanonicalRecordEncoding(entry).
std::string RecordHash(const AuditEntry& entry);
// "likeness-audit-checkpoint|<seq>|<hash>|<at>", the text a checkpoint signature covers.
std::string CheckpointMessage(int64_t seq, std::string_view hash, std::string_view at);

}  // namespace likeness::privacy
