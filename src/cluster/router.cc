#include "cluster/router.h"

#include <algorithm>
#include <future>
#include <random>
#include <thread>

#include "common/hash.h"
#include "engine/engine.h"
#include "privacy/utc_time.h"
#include "sources/sources.h"

namespace likeness::cluster {
namespace {

using nlohmann::json;

std::string RandomRequestId(const char* prefix = "er-") {
  std::random_device rd;
  std::mt19937_64 rng((static_cast<uint64_t>(rd()) << 32) ^ rd());
  static const char* hex = "0123456789abcdef";
  std::string id = prefix;
  for (int i = 0; i < 16; ++i) id += hex[rng() & 15];
  return id;
}

}  // namespace

ClusterSearcher::ClusterSearcher(std::shared_ptr<NatsConnection> nats, ShardMap map,
                                 SearchRouting routing)
    : nats_(std::move(nats)), map_(map), routing_(routing) {}

Result<std::string> ClusterSearcher::Ask(const std::string& subject, int shard,
                                         const std::string& request) {
  Status last = Status::IOError("no try made");
  for (int attempt = 0; attempt < std::max(1, routing_.tries); ++attempt) {
    if (attempt > 0) retried_.fetch_add(1);
    auto raw = nats_->Request(subject, request, routing_.try_timeout);
    if (raw.ok()) return raw;
    // This credential may not ask: retrying changes nothing.
    if (raw.status().code() == StatusCode::kPermissionDenied) return raw.status();
    // No replica subscribed, or the one that took the request died: the queue group gives the
    // next request to a live member. A short pause lets the server notice a dead connection.
    last = raw.status();
    std::this_thread::sleep_for(std::chrono::milliseconds(50 * (attempt + 1)));
  }
  // FailedPrecondition, not IOError: the caller learns which shard is missing (a server fault's
  // message is withheld from API clients) and that nothing is answered until it is back.
  return Status::FailedPrecondition("shard " + std::to_string(shard) + " did not answer (" +
                                    std::to_string(routing_.tries) + " tries): " + last.message() +
                                    "; no partial result is given");
}

Result<ShardSearchReply> ClusterSearcher::AskShard(int shard, const std::string& request) {
  ASSIGN_OR_RETURN(std::string raw, Ask(ShardSearchSubject(shard), shard, request));
  ASSIGN_OR_RETURN(ShardSearchReply reply, DecodeSearchReply(raw));
  if (!reply.status.ok()) return reply.status;
  return reply;
}

Result<std::string> ClusterSearcher::FaceCrop(int64_t face_id) {
  const int shard = ShardOfFace(face_id);
  if (face_id <= 0 || shard >= map_.shards) {
    return Status::NotFound("no face " + std::to_string(face_id));
  }
  ASSIGN_OR_RETURN(std::string raw, Ask(ShardMediaSubject(shard), shard,
                                        json{{"face_id", LocalFaceId(face_id)}}.dump()));
  if (!raw.empty() && raw[0] == '{') {  // an error object; a JPEG starts with FF D8
    json j = json::parse(raw, nullptr, false);
    const std::string code = j.is_object() ? j["error"].value("code", "") : "";
    const std::string message = j.is_object() ? j["error"].value("message", "") : raw;
    if (code == StatusCodeName(StatusCode::kNotFound)) {
      return Status::NotFound("no face " + std::to_string(face_id) + ": " + message);
    }
    return Status::IOError("shard " + std::to_string(shard) + ": " + message);
  }
  return raw;
}

Result<std::vector<engine::Match>> ClusterSearcher::Search(std::span<const float> embedding,
                                                           const engine::SearchOptions& options) {
  ShardSearchRequest req;
  req.embedding.assign(embedding.begin(), embedding.end());
  req.top_k = std::max(1, options.top_k);
  req.min_score = options.min_score;
  const std::string request = EncodeSearchRequest(req);
  std::vector<std::future<Result<ShardSearchReply>>> pending;
  for (int s = 0; s < map_.shards; ++s) {
    pending.push_back(
        std::async(std::launch::async, [this, s, &request] { return AskShard(s, request); }));
  }
  std::vector<engine::Match> merged;
  int64_t gallery = 0;
  Status failure = Status::Ok();
  for (int s = 0; s < map_.shards; ++s) {
    Result<ShardSearchReply> reply = pending[s].get();
    if (!reply.ok()) {
      if (failure.ok()) failure = reply.status();
      continue;
    }
    gallery += reply->gallery_size;
    for (ShardHit& hit : reply->hits) {
      engine::Match m;
      m.score = m.cosine = hit.score;
      m.is_match =
          hit.score >= options.match_threshold.value_or(engine::DefaultThreshold(options.scoring));
      m.face = std::move(hit.face);
      m.face.face.id = GlobalFaceId(s, m.face.face.id);
      merged.push_back(std::move(m));
    }
  }
  if (!failure.ok()) return failure;
  gallery_size_.store(gallery);
  std::stable_sort(
      merged.begin(), merged.end(),
      [](const engine::Match& a, const engine::Match& b) { return a.score > b.score; });
  if (static_cast<int>(merged.size()) > req.top_k) merged.resize(static_cast<size_t>(req.top_k));
  return merged;
}

Result<int64_t> ClusterSearcher::GallerySize() {
  const int64_t n = gallery_size_.load();
  if (n >= 0) return n;
  // No search yet: ask each shard with an empty query's worth of work (top 1 of a unit vector).
  engine::SearchOptions probe;
  probe.top_k = 1;
  Embedding unit(kEmbeddingDim, 0.0f);
  unit[0] = 1.0f;
  RETURN_IF_ERROR(Search(unit, probe).status());
  return gallery_size_.load();
}

Result<std::shared_ptr<ClusterSearcher>> AttachCluster(engine::Engine& engine,
                                                       const std::string& nats_url,
                                                       const NatsAuth& auth) {
  ASSIGN_OR_RETURN(std::unique_ptr<NatsConnection> c,
                   NatsConnection::Connect(nats_url, "likeness-router", auth));
  std::shared_ptr<NatsConnection> nats(std::move(c));
  ASSIGN_OR_RETURN(ShardMap map, LoadShardMap(*nats));
  auto searcher = std::make_shared<ClusterSearcher>(nats, map);
  engine.set_remote_searcher(searcher);
  return searcher;
}

Result<IngestRun> EnqueueIngest(NatsConnection& nats, const ShardMap& map,
                                const engine::SourceDeclaration& source,
                                const std::vector<std::filesystem::path>& paths,
                                const std::string& operator_id, const std::string& batch_id,
                                const std::function<void(const EnqueueProgress&)>& progress) {
  if (batch_id.empty()) return Status::InvalidArgument("an ingest run needs a batch id");
  ASSIGN_OR_RETURN(std::vector<std::filesystem::path> files, sources::ListFiles(paths));
  IngestRun run;
  run.batch_id = batch_id;
  ShardWrite begin;
  begin.op = ShardWrite::Op::kIngestBegin;
  begin.source = source;
  begin.batch_id = run.batch_id;
  begin.jobs = static_cast<int64_t>(files.size());
  begin.why.operator_id = operator_id;
  const std::string declaration = EncodeWrite(begin);
  for (int s = 0; s < map.shards; ++s) {
    // Durable in every shard's log before any job exists, so it precedes the run's images there.
    ASSIGN_OR_RETURN(uint64_t seq,
                     nats.PublishDurable(ShardControlSubject(s), declaration,
                                         run.batch_id + ".s" + std::to_string(s) + ".begin"));
    (void)seq;
  }
  EnqueueProgress p;
  p.total = static_cast<int64_t>(files.size());
  for (const auto& file : files) {
    IngestJob job;
    job.source = source;
    job.location = std::filesystem::absolute(file).lexically_normal().string();
    job.operator_id = operator_id;
    job.batch_id = run.batch_id;
    const std::string id =
        "job-" +
        Sha256Hex({reinterpret_cast<const uint8_t*>(job.location.data()), job.location.size()});
    ASSIGN_OR_RETURN(uint64_t seq, nats.PublishDurable(kJobsSubject, EncodeJob(job), id));
    (void)seq;
    ++p.queued;
    if (progress && (p.queued % 100 == 0 || p.queued == p.total)) progress(p);
  }
  run.queued = p.queued;
  return run;
}

std::string NewBatchId() { return RandomRequestId("ib-"); }

Status EndIngest(NatsConnection& nats, const ShardMap& map, const std::string& batch_id,
                 const std::string& operator_id, int64_t jobs_finished) {
  ShardWrite end;
  end.op = ShardWrite::Op::kIngestEnd;
  end.batch_id = batch_id;
  end.jobs = jobs_finished;
  end.why.operator_id = operator_id;
  const std::string body = EncodeWrite(end);
  for (int s = 0; s < map.shards; ++s) {
    ASSIGN_OR_RETURN(uint64_t seq,
                     nats.PublishDurable(ShardControlSubject(s), body,
                                         batch_id + ".s" + std::to_string(s) + ".end"));
    (void)seq;
  }
  return Status::Ok();
}

Result<uint64_t> PendingJobs(NatsConnection& nats) { return nats.StreamMessages(kJobsStream); }

Result<std::string> SendErasure(NatsConnection& nats, const ShardMap& map, ShardWrite write) {
  if (write.op != ShardWrite::Op::kErase && write.op != ShardWrite::Op::kOptOut) {
    return Status::InvalidArgument("not an erasure");
  }
  if (write.request_id.empty()) write.request_id = RandomRequestId();
  json asked = {{"request_id", write.request_id},
                {"op", write.op == ShardWrite::Op::kOptOut ? "optout" : "erase"},
                {"kind", write.kind},
                {"value", write.value},
                {"shards", map.shards},
                {"replicas", map.replicas},
                {"operator", write.why.operator_id},
                {"case", write.why.case_ref},
                {"requested_at", privacy::FormatUtc(std::chrono::system_clock::now())}};
  RETURN_IF_ERROR(nats.KvPut(kReceiptsBucket, write.request_id + ".request", asked.dump()));
  const std::string body = EncodeWrite(write);
  for (int s = 0; s < map.shards; ++s) {
    // Durable in shard s's log once this returns; a shard that is down applies it when it returns,
    // before it answers any search.
    ASSIGN_OR_RETURN(uint64_t seq,
                     nats.PublishDurable(ShardControlSubject(s), body,
                                         write.request_id + ".s" + std::to_string(s)));
    (void)seq;
  }
  return write.request_id;
}

Result<json> ErasureReceipt(NatsConnection& nats, const ShardMap& map, const std::string& id) {
  ASSIGN_OR_RETURN(std::optional<std::string> asked, nats.KvGet(kReceiptsBucket, id + ".request"));
  if (!asked) return Status::NotFound("no erasure request " + id);
  json out = {{"request_id", id}, {"asked", json::parse(*asked, nullptr, false)}};
  json shards = json::array();
  bool complete = true, all = true;
  int64_t faces = 0;
  for (int s = 0; s < map.shards; ++s) {
    json replicas = json::array();
    int64_t shard_faces = -1;
    for (int r = 0; r < map.replicas; ++r) {
      ASSIGN_OR_RETURN(auto value, nats.KvGet(kReceiptsBucket, id + ".s" + std::to_string(s) +
                                                                   ".r" + std::to_string(r)));
      if (!value) continue;
      json rec = json::parse(*value, nullptr, false);
      if (rec.is_discarded()) continue;
      replicas.push_back(rec);
      if (rec.contains("faces_removed") && rec["faces_removed"].is_number()) {
        shard_faces = std::max<int64_t>(shard_faces, rec["faces_removed"].get<int64_t>());
      }
    }
    const bool acknowledged = !replicas.empty();
    complete = complete && acknowledged;
    all = all && static_cast<int>(replicas.size()) == map.replicas;
    if (shard_faces > 0) faces += shard_faces;
    shards.push_back({{"shard", s},
                      {"acknowledged", acknowledged},
                      {"faces_removed", std::max<int64_t>(shard_faces, 0)},
                      {"replicas", replicas}});
  }
  out["shards"] = std::move(shards);
  out["faces_removed"] = faces;
  out["complete"] = complete;
  out["all_replicas"] = all;
  return out;
}

Result<json> AwaitReceipt(NatsConnection& nats, const ShardMap& map, const std::string& id,
                          std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (true) {
    ASSIGN_OR_RETURN(json receipt, ErasureReceipt(nats, map, id));
    if (receipt["all_replicas"].get<bool>() || std::chrono::steady_clock::now() >= deadline) {
      return receipt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

Result<json> ClusterStatus(NatsConnection& nats) {
  ASSIGN_OR_RETURN(ShardMap map, LoadShardMap(nats));
  json out = {{"shards", map.shards}, {"replicas", map.replicas}, {"created_at", map.created_at}};
  json shards = json::array();
  for (int s = 0; s < map.shards; ++s) {
    json replicas = json::array();
    for (int r = 0; r < map.replicas; ++r) {
      json rec = {{"replica", r}};
      ASSIGN_OR_RETURN(auto beat, nats.KvGet(kClusterBucket, ReplicaHealthKey(s, r)));
      if (beat) rec["heartbeat"] = json::parse(*beat, nullptr, false);
      auto backlog = nats.ConsumerBacklog(ShardStream(s), ReplicaDurable(r));
      if (backlog.ok()) rec["log_backlog"] = *backlog;
      replicas.push_back(std::move(rec));
    }
    auto held = nats.StreamMessages(ShardStream(s));
    shards.push_back({{"shard", s},
                      {"log_entries_held", held.ok() ? json(*held) : json(nullptr)},
                      {"replicas", std::move(replicas)}});
  }
  out["shard_status"] = std::move(shards);
  json workers = json::array();
  ASSIGN_OR_RETURN(auto keys, nats.KvKeys(kClusterBucket, "worker."));
  for (const auto& key : keys) {
    ASSIGN_OR_RETURN(auto beat, nats.KvGet(kClusterBucket, key));
    if (beat) workers.push_back(json::parse(*beat, nullptr, false));
  }
  out["workers"] = std::move(workers);
  ASSIGN_OR_RETURN(uint64_t jobs, PendingJobs(nats));
  out["jobs_pending"] = jobs;
  return out;
}

}  // namespace likeness::cluster
