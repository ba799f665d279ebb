// Names and the shard map of a Likeness cluster on NATS.
//
//   LK_JOBS      work-queue stream, subject lk.jobs: ingest jobs; durable pull consumer "workers"
//                shared by every worker (each job goes to one worker, removed when acknowledged).
//   LK_SHARD_<n> interest stream, subjects lk.shard.<n>.store (image entries, written by workers)
//                and lk.shard.<n>.ctl (erasures, opt-outs and ingest declarations, written by
//                routers): shard n's replication log, in one order. NATS permissions let each role
//                write only its own subject (auth_config.h) and the shard applies an entry only
//                when its kind matches the subject it arrived on. One durable consumer
//                "replica-<r>" per replica,
//                created by `cluster init`, so a message stays until every replica applied it and
//                is then removed (no biometric data is kept in NATS after it reached the shard).
//   lk.search.<n> request subject for shard n's searches, queue group "shard-<n>": one replica of
//                the shard answers each request. lk.media.<n>: the same for face crops (JPEG).
//   LK_CLUSTER   key-value bucket: "shardmap" (ShardMap JSON) and "replica.<n>.<r>" (a replica's
//                last heartbeat: state, counts, time).
//   LK_RECEIPTS  key-value bucket: "<request>.request" (what an erasure asked, of which shards) and
//                "<request>.s<n>.r<r>" (replica r of shard n applied it: counts, receipt digest).
//
// Partitioning: an image (and all its faces) belongs to shard ShardOf(content sha256); a face's
// cluster-wide id is GlobalFaceId(shard, its id in the shard's catalog).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "cluster/nats_client.h"
#include "likeness/status.h"

namespace likeness::cluster {

inline constexpr const char* kJobsStream = "LK_JOBS";
inline constexpr const char* kJobsSubject = "lk.jobs";
inline constexpr const char* kWorkersDurable = "workers";
inline constexpr const char* kClusterBucket = "LK_CLUSTER";
inline constexpr const char* kReceiptsBucket = "LK_RECEIPTS";
inline constexpr const char* kShardMapKey = "shardmap";

std::string ShardStream(int shard);          // "LK_SHARD_<n>"
std::string ShardStoreSubject(int shard);    // "lk.shard.<n>.store": image entries (workers)
std::string ShardControlSubject(int shard);  // "lk.shard.<n>.ctl": erasures etc. (routers)
std::string ShardSearchSubject(int shard);
std::string ShardQueueGroup(int shard);
std::string ShardMediaSubject(int shard);  // "lk.media.<n>": face crops, same queue group
std::string ReplicaDurable(int replica);   // "replica-<r>"
std::string ReplicaHealthKey(int shard, int replica);

struct ShardMap {
  int version = 1;
  int shards = 1;
  int replicas = 1;
  std::string created_at;
  // How long a worker may hold an ingest job without acknowledging it before the queue hands it
  // to another worker (a killed worker's job waits this long).
  std::chrono::seconds job_ack_wait{30};
};

// The shard owning an image: the first 64 bits of its SHA-256 (hex) modulo `shards`.
int ShardOf(const std::string& content_sha256_hex, int shards);

// Face ids across the cluster: shard in the top 23 bits, the shard-local id in the low 40.
inline constexpr int kLocalIdBits = 40;
int64_t GlobalFaceId(int shard, int64_t local_id);
int ShardOfFace(int64_t global_id);
int64_t LocalFaceId(int64_t global_id);

// Creates the streams, the replicas' durable consumers, the buckets and the shard map; running it
// again with the same map is a no-op. FailedPrecondition when a map with other counts exists
// (re-sharding is not supported: start a new cluster and re-ingest). InvalidArgument for counts
// outside 1..64.
Status InitCluster(NatsConnection& nats, const ShardMap& map);

// The shard map from the key-value store. NotFound before `cluster init`.
Result<ShardMap> LoadShardMap(NatsConnection& nats);

}  // namespace likeness::cluster
