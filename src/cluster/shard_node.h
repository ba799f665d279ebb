// The shard role: one replica of one shard. It owns a data folder (catalog partition, index, audit
// chain, keys) exactly like a single-node Likeness, and changes it only by applying its shard's
// replication log (LK_SHARD_<n>) in order: stores from workers, erasures and opt-outs from
// routers. It answers searches (queue group "shard-<n>") only after it has applied the whole log
// as it stood when it started, so an erasure issued while it was down is in force before its
// first answer.
//
// Durability: an entry is acknowledged only after it is committed to the catalog (and, for an
// erasure, after the index file was rewritten and the receipt written). Applying an entry twice
// (a redelivery after a crash) changes nothing: images are unique by content hash, erasures of
// what is gone erase nothing, an opt-out reference is unique.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include "cluster/nats_auth.h"
#include "engine/engine.h"
#include "likeness/status.h"

namespace likeness::cluster {

struct ShardNodeOptions {
  std::string nats_url;
  NatsAuth auth;  // the shard's credential (role shard-<n>) and TLS settings
  int shard = 0;
  int replica = 0;
  engine::EngineOptions engine;  // data_dir: this replica's own folder
  // How often the index file is rewritten while writes arrive (a crash in between costs a rebuild
  // from the catalog at the next start, never data).
  std::chrono::milliseconds save_every{3000};
  std::atomic<bool>* stop = nullptr;            // set to stop (after the entry in progress)
  std::function<void(const std::string&)> log;  // progress and problems, one line each
};

// Runs the replica until *options.stop. Errors: connection, shard map (NotFound before `cluster
// init`; InvalidArgument for a shard or replica outside it), engine opening.
Status RunShardNode(const ShardNodeOptions& options);

}  // namespace likeness::cluster
