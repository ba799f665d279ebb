#include "privacy/audit_anchor.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "privacy/key_folder.h"

namespace likeness::privacy {
namespace fs = std::filesystem;
namespace {

constexpr const char* kFormat = "likeness-audit-anchor-v1";

std::optional<std::vector<uint8_t>> FromHex(const std::string& hex, size_t size) {
  std::vector<uint8_t> out(size);
  size_t n = 0;
  if (hex.size() != size * 2 ||
      sodium_hex2bin(out.data(), out.size(), hex.data(), hex.size(), nullptr, &n, nullptr) != 0 ||
      n != size) {
    return std::nullopt;
  }
  return out;
}

AuditVerifyReport Problem(AuditProblem p, int64_t first_bad, std::string message) {
  AuditVerifyReport r;
  r.ok = false;
  r.problem = p;
  r.first_bad_seq = first_bad;
  r.message = std::move(message);
  return r;
}

}  // namespace

Result<AuditAnchor> MakeAnchor(AuditLog& log, const std::string& instance_id) {
  ASSIGN_OR_RETURN(const AuditCheckpoint cp, log.Checkpoint());
  AuditAnchor a;
  a.instance_id = instance_id;
  a.seq = cp.seq;
  a.hash = cp.hash;
  a.at = cp.at;
  a.public_key = cp.public_key;
  a.signature = cp.signature;
  return a;
}

std::string AnchorJson(const AuditAnchor& a) {
  return nlohmann::json{{"format", kFormat},
                        {"instance_id", a.instance_id},
                        {"seq", a.seq},
                        {"hash", a.hash},
                        {"at", a.at},
                        {"public_key", a.public_key},
                        {"signature", a.signature}}
             .dump(2) +
         "\n";
}

Result<AuditAnchor> ParseAnchor(std::string_view json, const std::string& origin) {
  const auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("audit anchor " + origin + " " + why);
  };
  const nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return bad("is not JSON");
  if (j.value("format", std::string()) != kFormat) return bad(std::string("is not a ") + kFormat);
  AuditAnchor a;
  a.origin = origin;
  const auto text = [&](const char* name, std::string* out) {
    if (!j.contains(name) || !j[name].is_string()) return false;
    *out = j[name].get<std::string>();
    return true;
  };
  if (!j.contains("seq") || !j["seq"].is_number_integer() || j["seq"].get<int64_t>() < 1 ||
      !text("hash", &a.hash) || !text("at", &a.at) || !text("public_key", &a.public_key) ||
      !text("signature", &a.signature)) {
    return bad("lacks seq, hash, at, public_key or signature");
  }
  a.seq = j["seq"].get<int64_t>();
  text("instance_id", &a.instance_id);
  return a;
}

std::string AnchorFileName(const AuditAnchor& a) {
  char seq[24];
  std::snprintf(seq, sizeof seq, "%012lld", static_cast<long long>(a.seq));
  return "audit-anchor-" + (a.instance_id.empty() ? std::string("log") : a.instance_id) + "-" +
         seq + ".json";
}

Status WriteAnchorFile(const AuditAnchor& anchor, const fs::path& file, const fs::path& data_dir) {
  if (IsInside(file, data_dir)) {
    return Status::InvalidArgument("an audit anchor must be kept outside the data folder " +
                                   data_dir.string() +
                                   " (it is what survives an attack on it), not " + file.string());
  }
  const std::string text = AnchorJson(anchor);
  const fs::path tmp = file.string() + ".tmp-" + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError("cannot create " + tmp.string());
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  std::error_code ec;
  if (ok) fs::rename(tmp, file, ec);
  if (!ok || ec) {
    fs::remove(tmp, ec);
    return Status::IOError("cannot write audit anchor " + file.string());
  }
  return Status::Ok();
}

Result<std::vector<AuditAnchor>> ReadAnchors(const fs::path& where) {
  std::vector<fs::path> files;
  std::error_code ec;
  if (fs::is_directory(where, ec)) {
    for (const auto& e : fs::directory_iterator(where, ec)) {
      if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
  } else if (fs::exists(where, ec)) {
    files.push_back(where);
  }
  if (files.empty()) return Status::NotFound("no audit anchor at " + where.string());
  std::vector<AuditAnchor> out;
  for (const fs::path& f : files) {
    std::ifstream in(f, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) return Status::IOError("cannot read " + f.string());
    ASSIGN_OR_RETURN(AuditAnchor a, ParseAnchor(text, f.string()));
    out.push_back(std::move(a));
  }
  return out;
}

Result<AuditVerifyReport> VerifyAgainstAnchor(AuditLog& log, const AuditAnchor& a) {
  const std::string where = "the anchor " + a.origin + " (signed " + a.at + ")";
  const auto pk = FromHex(a.public_key, InstanceKey::kPublicKeySize);
  const auto sig = FromHex(a.signature, InstanceKey::kSignatureSize);
  if (a.public_key != log.public_key_hex() || !pk || !sig ||
      !InstanceKey::VerifySignature(*pk, CheckpointMessage(a.seq, a.hash, a.at), *sig)) {
    return Problem(AuditProblem::kBadCheckpointSignature, a.seq,
                   where + (a.public_key != log.public_key_hex()
                                ? " was signed by another instance key than this log's"
                                : " has a signature that does not verify"));
  }
  ASSIGN_OR_RETURN(const int64_t last, log.LastSeq());
  if (last < a.seq) {
    return Problem(AuditProblem::kTruncatedBelowAnchor, last + 1,
                   where + " records " + std::to_string(a.seq) +
                       " records but the log ends at seq " + std::to_string(last) + ": records " +
                       std::to_string(last + 1) + ".." + std::to_string(a.seq) + " are missing");
  }
  ASSIGN_OR_RETURN(const std::optional<AuditEntry> e, log.EntryAt(a.seq));
  if (!e || e->hash != a.hash) {
    return Problem(AuditProblem::kDiffersFromAnchor, a.seq,
                   "record " + std::to_string(a.seq) + " does not have the hash " + where +
                       " records: the log was rewritten at or before seq " + std::to_string(a.seq));
  }
  AuditVerifyReport ok;
  ok.records_checked = a.seq;
  ok.message = "the log holds " + where + ": seq " + std::to_string(a.seq);
  return ok;
}

}  // namespace likeness::privacy
