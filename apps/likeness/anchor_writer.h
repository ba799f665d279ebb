// Periodic audit anchors for `serve` (and a cluster router, `serve --cluster`): every `every`
// seconds, and once more when stopped, signs the audit log's head and writes it to a folder
// outside the data folder (privacy/audit_anchor.h) when the head moved since the last anchor, and
// hands it to `publish` (a router puts it into the cluster's NATS key-value bucket).
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "likeness/status.h"
#include "privacy/audit_anchor.h"
#include "privacy/audit_log.h"

namespace likeness::cli {

class AnchorWriter {
 public:
  using Publish = std::function<Status(const privacy::AuditAnchor&)>;
  // Opens its own connection to the data folder's audit log. InvalidArgument when `dir` is inside
  // the data folder or `every` is not positive; the audit log's errors.
  static Result<std::unique_ptr<AnchorWriter>> Start(const std::filesystem::path& data_dir,
                                                     const std::filesystem::path& dir,
                                                     std::chrono::seconds every, Publish publish);
  // Writes a last anchor and stops.
  ~AnchorWriter();
  AnchorWriter(const AnchorWriter&) = delete;
  AnchorWriter& operator=(const AnchorWriter&) = delete;

 private:
  AnchorWriter() = default;
  // One anchor if the head moved; failures go to stderr (the server keeps serving).
  void WriteOnce();

  std::filesystem::path data_dir_, dir_;
  std::chrono::seconds every_{0};
  Publish publish_;
  std::string instance_id_;
  std::unique_ptr<privacy::AuditLog> log_;
  int64_t last_seq_ = -1;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace likeness::cli
