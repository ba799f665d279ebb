// The worker role: pulls ingest jobs from the LK_JOBS work queue (durable consumer "workers",
// shared by every worker), reads and analyses the image, and appends the result to the owning
// shard's replication log. It acknowledges a job only after JetStream confirmed the log entry is
// stored, so a worker killed at any point loses nothing: an unacknowledged job is redelivered to
// another worker after the ack wait, and a re-published entry is dropped (message id
// "img-<sha256>" within the stream's duplicate window, and by content hash at the shard).
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "engine/engine.h"
#include "likeness/status.h"

namespace likeness::cluster {

struct WorkerNodeOptions {
  std::string nats_url;
  std::string name = "worker";
  // A scratch folder for the worker's engine (models, decode limits); it stores no faces.
  engine::EngineOptions engine;
  std::atomic<bool>* stop = nullptr;
  std::function<void(const std::string&)> log;
};

Status RunWorkerNode(const WorkerNodeOptions& options);

}  // namespace likeness::cluster
