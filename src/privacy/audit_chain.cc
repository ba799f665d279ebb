#include "privacy/audit_chain.h"

#include <span>

#include "common/hash.h"

namespace likeness::privacy {
namespace {

constexpr std::string_view kRecordTag = "likeness-audit-record-v1";
constexpr std::string_view kCheckpointTag = "likeness-audit-checkpoint";
constexpr int kLengthBytes = 8;

void AppendField(std::string& out, std::string_view field) {
  const uint64_t n = field.size();
  for (int shift = (kLengthBytes - 1) * 8; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((n >> shift) & 0xff));
  }
  out.append(field);
}

}  // namespace

std::string CanonicalRecordEncoding(const AuditEntry& e) {
  std::string out(kRecordTag);
  AppendField(out, std::to_string(e.seq));
  AppendField(out, e.at);
  AppendField(out, e.operator_id);
  AppendField(out, e.action);
  AppendField(out, e.purpose);
  AppendField(out, e.legal_basis);
  AppendField(out, e.case_ref);
  AppendField(out, e.probe_hash);
  AppendField(out, std::to_string(e.result_count));
  AppendField(out, e.details);
  AppendField(out, e.prev_hash);
  return out;
}

std::string RecordHash(const AuditEntry& entry) {
  const std::string bytes = CanonicalRecordEncoding(entry);
  return Sha256Hex(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

std::string CheckpointMessage(int64_t seq, std::string_view hash, std::string_view at) {
  std::string out(kCheckpointTag);
  out += '|';
  out += std::to_string(seq);
  out += '|';
  out.append(hash);
  out += '|';
  out.append(at);
  return out;
}

}  // namespace likeness::privacy
