// The router role: the API side of a cluster. ClusterSearcher scatters a probe embedding to every
// shard (one replica of each answers, through the shard's queue group), retries a shard whose
// replica died mid-request on another replica, and merges the shards' top-k. The admin functions
// enqueue ingest jobs, send erasures and opt-outs through every shard's durable log and collect
// the shards' receipts.
//
// A router is an ordinary Likeness engine and governance over its own data folder (models, audit
// chain, API keys) with a ClusterSearcher installed (Engine::set_remote_searcher): purpose,
// justification and the audit record of every search happen at the router, exactly as on one node.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cluster/messages.h"
#include "cluster/nats_client.h"
#include "cluster/topology.h"
#include "engine/remote_search.h"

namespace likeness::cluster {

struct SearchRouting {
  std::chrono::milliseconds try_timeout{1000};  // one replica's answer
  int tries = 4;                                // per shard, each may reach another replica
};

class ClusterSearcher : public engine::RemoteSearcher {
 public:
  ClusterSearcher(std::shared_ptr<NatsConnection> nats, ShardMap map, SearchRouting routing = {});
  Result<std::vector<engine::Match>> Search(std::span<const float> embedding,
                                            const engine::SearchOptions& options) override;
  Result<int64_t> GallerySize() override;
  Result<std::string> FaceCrop(int64_t face_id) override;
  // Searches that needed more than one try on some shard (failovers), since construction.
  int64_t retried() const { return retried_.load(); }

 private:
  Result<ShardSearchReply> AskShard(int shard, const std::string& request);
  // One request to a shard's queue group with the retries of `routing_`.
  Result<std::string> Ask(const std::string& subject, int shard, const std::string& request);

  std::shared_ptr<NatsConnection> nats_;
  ShardMap map_;
  SearchRouting routing_;
  std::atomic<int64_t> gallery_size_{-1};
  std::atomic<int64_t> retried_{0};
};

// Connects (with `auth`: the router's credential) and installs a ClusterSearcher on `engine`.
// Errors: connection, shard map.
Result<std::shared_ptr<ClusterSearcher>> AttachCluster(engine::Engine& engine,
                                                       const std::string& nats_url,
                                                       const NatsAuth& auth = NatsAuthFromEnv());

struct EnqueueProgress {
  int64_t queued = 0, total = 0;
};
struct IngestRun {
  std::string batch_id;  // "ib-<16 hex>": in every job, shard entry and audit record of the run
  int64_t queued = 0;
};
// Declares `source` to every shard (an ingest-begin entry on each shard's control subject: the
// shard declares the source and audits the run's start; workers' image entries of a source no
// router declared are refused) and then queues one job per image file under `paths` (folders are
// walked). A job re-queued within two minutes is dropped as a duplicate (message id of its
// location).
// `batch_id`: from NewBatchId (so the caller can audit the run before it starts).
Result<IngestRun> EnqueueIngest(NatsConnection& nats, const ShardMap& map,
                                const engine::SourceDeclaration& source,
                                const std::vector<std::filesystem::path>& paths,
                                const std::string& operator_id, const std::string& batch_id,
                                const std::function<void(const EnqueueProgress&)>& progress = {});
// A new ingest run id, "ib-<16 hex>".
std::string NewBatchId();

// Tells every shard that the run's jobs are all finished (an ingest-end entry after the workers
// drained the queue): each shard writes its remaining counts and the run's end to its audit chain.
Status EndIngest(NatsConnection& nats, const ShardMap& map, const std::string& batch_id,
                 const std::string& operator_id, int64_t jobs_finished);

// Jobs queued and not yet acknowledged by a worker.
Result<uint64_t> PendingJobs(NatsConnection& nats);

// Sends an erasure or opt-out (write.op kErase / kOptOut; request_id assigned here when empty) to
// every shard's log and records what was asked under "<request>.request". Returns the request id.
Result<std::string> SendErasure(NatsConnection& nats, const ShardMap& map, ShardWrite write);

// The receipt so far: every shard, the replicas that applied the request and what they removed;
// "complete" once every shard has at least one replica's receipt and "all_replicas" once every
// replica has. NotFound for an unknown request.
Result<nlohmann::json> ErasureReceipt(NatsConnection& nats, const ShardMap& map,
                                      const std::string& request_id);

// Polls ErasureReceipt until complete or `wait` passed.
Result<nlohmann::json> AwaitReceipt(NatsConnection& nats, const ShardMap& map,
                                    const std::string& request_id, std::chrono::milliseconds wait);

// The shard map, each replica's last heartbeat and log backlog, workers, and the jobs queue.
Result<nlohmann::json> ClusterStatus(NatsConnection& nats);

}  // namespace likeness::cluster
