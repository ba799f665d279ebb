#include "cluster/topology.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "privacy/utc_time.h"

namespace likeness::cluster {

std::string ShardStream(int shard) { return "LK_SHARD_" + std::to_string(shard); }
std::string ShardStoreSubject(int shard) { return "lk.shard." + std::to_string(shard) + ".store"; }
std::string ShardControlSubject(int shard) { return "lk.shard." + std::to_string(shard) + ".ctl"; }
std::string ShardSearchSubject(int shard) { return "lk.search." + std::to_string(shard); }
std::string ShardQueueGroup(int shard) { return "shard-" + std::to_string(shard); }
std::string ShardMediaSubject(int shard) { return "lk.media." + std::to_string(shard); }
std::string ReplicaDurable(int replica) { return "replica-" + std::to_string(replica); }
std::string ReplicaHealthKey(int shard, int replica) {
  return "replica." + std::to_string(shard) + "." + std::to_string(replica);
}

int ShardOf(const std::string& content_sha256_hex, int shards) {
  uint64_t prefix = 0;
  for (size_t i = 0; i < 16 && i < content_sha256_hex.size(); ++i) {
    const char c = content_sha256_hex[i];
    const uint64_t nibble = c >= '0' && c <= '9'   ? static_cast<uint64_t>(c - '0')
                            : c >= 'a' && c <= 'f' ? static_cast<uint64_t>(c - 'a' + 10)
                            : c >= 'A' && c <= 'F' ? static_cast<uint64_t>(c - 'A' + 10)
                                                   : 0;
    prefix = (prefix << 4) | nibble;
  }
  return static_cast<int>(prefix % static_cast<uint64_t>(shards < 1 ? 1 : shards));
}

int64_t GlobalFaceId(int shard, int64_t local_id) {
  return (static_cast<int64_t>(shard) << kLocalIdBits) | local_id;
}
int ShardOfFace(int64_t global_id) { return static_cast<int>(global_id >> kLocalIdBits); }
int64_t LocalFaceId(int64_t global_id) { return global_id & ((int64_t{1} << kLocalIdBits) - 1); }

namespace {

nlohmann::json MapJson(const ShardMap& m) {
  return {{"version", m.version},
          {"shards", m.shards},
          {"replicas", m.replicas},
          {"created_at", m.created_at}};
}

}  // namespace

Result<ShardMap> LoadShardMap(NatsConnection& nats) {
  auto value = nats.KvGet(kClusterBucket, kShardMapKey);
  if (!value.ok()) {
    if (value.status().code() == StatusCode::kNotFound) {
      return Status::NotFound("no cluster here: run `likeness cluster init` first");
    }
    return value.status();
  }
  if (!value->has_value()) {
    return Status::NotFound("no shard map: run `likeness cluster init` first");
  }
  auto j = nlohmann::json::parse(**value, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption("the shard map is not JSON");
  ShardMap m;
  m.version = j.value("version", 1);
  m.shards = j.value("shards", 0);
  m.replicas = j.value("replicas", 0);
  m.created_at = j.value("created_at", "");
  if (m.shards < 1 || m.replicas < 1) return Status::Corruption("the shard map has no shards");
  return m;
}

Status InitCluster(NatsConnection& nats, const ShardMap& wanted) {
  if (wanted.shards < 1 || wanted.shards > 64 || wanted.replicas < 1 || wanted.replicas > 64) {
    return Status::InvalidArgument("shards and replicas must be 1..64");
  }
  RETURN_IF_ERROR(nats.EnsureBucket(kClusterBucket));
  RETURN_IF_ERROR(nats.EnsureBucket(kReceiptsBucket));
  auto existing = LoadShardMap(nats);
  if (existing.ok()) {
    if (existing->shards != wanted.shards || existing->replicas != wanted.replicas) {
      return Status::FailedPrecondition(
          "this NATS already holds a cluster of " + std::to_string(existing->shards) +
          " shards x " + std::to_string(existing->replicas) +
          " replicas; re-sharding is not supported (start a new NATS store and re-ingest)");
    }
  } else if (existing.status().code() != StatusCode::kNotFound) {
    return existing.status();
  }
  RETURN_IF_ERROR(nats.EnsureStream({kJobsStream,
                                     {kJobsSubject},
                                     StreamOptions::Retention::kWorkQueue,
                                     std::chrono::seconds(120)}));
  RETURN_IF_ERROR(nats.EnsureConsumer(kJobsStream, kWorkersDurable, wanted.job_ack_wait));
  for (int s = 0; s < wanted.shards; ++s) {
    RETURN_IF_ERROR(nats.EnsureStream({ShardStream(s),
                                       {ShardStoreSubject(s), ShardControlSubject(s)},
                                       StreamOptions::Retention::kInterest,
                                       std::chrono::seconds(600)}));
    for (int r = 0; r < wanted.replicas; ++r) {
      RETURN_IF_ERROR(
          nats.EnsureConsumer(ShardStream(s), ReplicaDurable(r), std::chrono::seconds(30)));
    }
  }
  if (!existing.ok()) {
    ShardMap m = wanted;
    m.created_at = privacy::FormatUtc(std::chrono::system_clock::now());
    RETURN_IF_ERROR(nats.KvPut(kClusterBucket, kShardMapKey, MapJson(m).dump()));
  }
  return Status::Ok();
}

}  // namespace likeness::cluster
