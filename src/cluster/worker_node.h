// The worker role: pulls ingest jobs from the LK_JOBS work queue (durable consumer "workers",
// shared by every worker), reads and analyses the image, and appends the result to the owning
// shard's replication log. It acknowledges a job only after JetStream confirmed the log entry is
// stored, so a worker killed at any point loses nothing: an unacknowledged job is redelivered to
// another worker after the ack wait, and a re-published entry is dropped (message id
// "img-<sha256>" within the stream's duplicate window, and by content hash at the shard).
//
// A job names a path, and whoever may queue jobs could name any file the worker can read. The
// worker therefore reads only under its own source roots (set on the worker, not in NATS): a
// job's path, symlinks resolved, must lie under one of them; any other job is refused and dropped.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "cluster/nats_auth.h"
#include "engine/engine.h"
#include "likeness/status.h"

namespace likeness::cluster {

struct WorkerNodeOptions {
  std::string nats_url;
  NatsAuth auth;  // the worker's credential (role worker) and TLS settings
  std::string name = "worker";
  // A scratch folder for the worker's engine (models, decode limits); it stores no faces.
  engine::EngineOptions engine;
  // The folders this worker may read images from (at least one; each must exist).
  std::vector<std::filesystem::path> source_roots;
  std::atomic<bool>* stop = nullptr;
  std::function<void(const std::string&)> log;
};

// Errors: InvalidArgument (no source root), NotFound (a root that does not exist), connection,
// shard map, engine opening.
Status RunWorkerNode(const WorkerNodeOptions& options);

// The location to read for a job, symlinks resolved, when it lies under one of `roots` (already
// canonical); PermissionDenied naming the roots otherwise; NotFound when the file is absent.
Result<std::string> ResolveUnderRoots(const std::string& location,
                                      const std::vector<std::filesystem::path>& roots);

}  // namespace likeness::cluster
