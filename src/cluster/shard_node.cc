#include "cluster/shard_node.h"

#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "cluster/messages.h"
#include "cluster/nats_client.h"
#include "cluster/shard_audit.h"
#include "cluster/topology.h"
#include "engine/ingest.h"
#include "engine/search.h"
#include "engine/stored_media.h"
#include "governance/erasure.h"
#include "governance/governance.h"
#include "governance/optout.h"
#include "privacy/utc_time.h"

namespace likeness::cluster {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

std::string Now() { return privacy::FormatUtc(std::chrono::system_clock::now()); }

class ShardReplica {
 public:
  ShardReplica(const ShardNodeOptions& o, int shards, NatsConnection& nats, engine::Engine& engine,
               governance::Governance& gov)
      : o_(o), shards_(shards), nats_(nats), engine_(engine), gov_(gov) {}

  void Log(const std::string& line) {
    if (o_.log)
      o_.log("shard " + std::to_string(o_.shard) + "/" + std::to_string(o_.replica) + ": " + line);
  }

  // Applies one log entry that arrived on `subject`. OK: acknowledge it. Any error: leave it for
  // redelivery.
  Status Apply(std::string_view subject, std::string_view data) {
    auto write = DecodeWrite(data);
    if (!write.ok()) {
      // Malformed entries can never apply; they are acknowledged (and reported) so they do not
      // block the log.
      Log("skipping a malformed log entry: " + write.status().ToString());
      return Status::Ok();
    }
    // Workers may write only the store subject and routers only the control subject (NATS
    // permissions); an entry whose kind does not match its subject was forged by a role that may
    // not send it. It is refused, audited, and acknowledged so it does not block the log.
    const bool on_store = subject == ShardStoreSubject(o_.shard);
    if (IsStoreOp(write->op) != on_store) return RefuseForged(subject, *write);
    switch (write->op) {
      case ShardWrite::Op::kStore:
        return ApplyStore(*write);
      case ShardWrite::Op::kErase:
        return ApplyErase(*write);
      case ShardWrite::Op::kOptOut:
        return ApplyOptOut(*write);
      case ShardWrite::Op::kIngestBegin:
        return ApplyIngestBegin(*write);
      case ShardWrite::Op::kIngestEnd:
        return ApplyIngestEnd(*write);
    }
    return Status::Ok();
  }

  ShardAudit& audit() { return audit_; }

  std::string Search(std::string_view request) {
    ShardSearchReply reply;
    reply.shard = o_.shard;
    reply.replica = o_.replica;
    auto req = DecodeSearchRequest(request);
    if (!req.ok()) {
      reply.status = req.status();
      return EncodeSearchReply(reply);
    }
    engine::SearchOptions opts;
    opts.top_k = req->top_k;
    opts.min_score = req->min_score;
    auto matches = engine::SearchEmbedding(engine_, req->embedding, opts);
    if (!matches.ok()) {
      reply.status = matches.status();
      return EncodeSearchReply(reply);
    }
    reply.gallery_size = static_cast<int64_t>(engine_.index().size());
    for (auto& m : *matches) reply.hits.push_back({m.cosine, std::move(m.face)});
    searches_.fetch_add(1);
    return EncodeSearchReply(reply);
  }

  // A face crop as JPEG bytes, or a JSON error object ({"error":{"code","message"}}).
  std::string Crop(std::string_view request) {
    auto j = json::parse(request, nullptr, false);
    Status st = Status::Ok();
    if (j.is_discarded() || !j.is_object() || !j.contains("face_id") ||
        !j["face_id"].is_number_integer()) {
      st = Status::InvalidArgument("a crop request names a face_id");
    } else {
      auto jpeg = RenderCrop(j["face_id"].get<int64_t>());
      if (jpeg.ok()) return std::move(*jpeg);
      st = jpeg.status();
    }
    return json{
        {"error", {{"code", std::string(StatusCodeName(st.code()))}, {"message", st.message()}}}}
        .dump();
  }

  void Heartbeat(const std::string& state, uint64_t applied_seq) {
    auto stats = engine_.catalog().Stats();
    json j = {
        {"shard", o_.shard}, {"replica", o_.replica},      {"state", state},
        {"pid", ::getpid()}, {"applied_seq", applied_seq}, {"searches", searches_.load()},
        {"stored", stored_}, {"updated_at", Now()},        {"searchable", engine_.index().size()}};
    if (stats.ok()) {
      j["images"] = stats->images;
      j["faces"] = stats->faces;
    }
    if (Status st = nats_.KvPut(kClusterBucket, ReplicaHealthKey(o_.shard, o_.replica), j.dump());
        !st.ok()) {
      Log("heartbeat: " + st.ToString());
    }
  }

  bool dirty() const { return dirty_; }
  void clear_dirty() { dirty_ = false; }

 private:
  Result<std::string> RenderCrop(int64_t local_face_id) {
    ASSIGN_OR_RETURN(catalog::FaceRecord face, engine_.catalog().GetFace(local_face_id, false));
    ASSIGN_OR_RETURN(catalog::ImageRecord image, engine_.catalog().GetImage(face.image_id));
    ASSIGN_OR_RETURN(imageio::DecodedImage decoded,
                     engine::LoadStoredFaceImage(image, face, engine_.options()));
    return engine::FaceCropJpeg(decoded, face.box);
  }

  // The stored source of a store entry: one a router declared (an ingest-begin entry), with the
  // same legal footing. FailedPrecondition otherwise (a worker cannot invent a source).
  Result<catalog::SourceRecord> Source(const engine::SourceDeclaration& d) {
    auto it = sources_.find(d.name);
    if (it != sources_.end()) return it->second;
    auto held = engine_.catalog().GetSourceByName(d.name);
    if (!held.ok()) {
      if (held.status().code() == StatusCode::kNotFound) {
        return Status::FailedPrecondition("no router declared a source '" + d.name + "'");
      }
      return held.status();
    }
    ASSIGN_OR_RETURN(catalog::SourceRecord s, engine::DeclareSource(engine_.catalog(), d));
    sources_[d.name] = s;
    return s;
  }

  Status RefuseForged(std::string_view subject, const ShardWrite& w) {
    Log(std::string(IsStoreOp(w.op) ? "refused an image entry" : "refused a control entry") +
        " that arrived on " + std::string(subject) +
        " (a role sent what it may not; see the audit chain)");
    return audit_.RecordRefusedEntry(subject, w);
  }

  Status ApplyIngestBegin(const ShardWrite& w) {
    auto declared = engine::ValidateDeclaration(w.source);
    Status st = declared.status();
    if (declared.ok()) {
      auto s = engine::DeclareSource(engine_.catalog(), *declared);
      if (s.ok()) {
        sources_[s->name] = *s;
      }
      st = s.status();
    }
    RETURN_IF_ERROR(audit_.RecordRunBegin(w, st));
    Log("ingest run " + w.batch_id + " of source '" + w.source.name + "' by " + w.why.operator_id +
        (st.ok() ? "" : " refused: " + st.ToString()));
    return Status::Ok();
  }

  Status ApplyIngestEnd(const ShardWrite& w) { return audit_.RecordRunEnd(w); }

  Result<int64_t> Batch(const catalog::SourceRecord& s) {
    auto it = batches_.find(s.id);
    if (it != batches_.end()) return it->second;
    ASSIGN_OR_RETURN(int64_t id, engine_.catalog().BeginBatch(s.id));
    batches_[s.id] = id;
    return id;
  }

  Status ApplyStore(ShardWrite& w) {
    if (ShardOf(w.image.content_hash, shards_) != o_.shard) {
      Log("an image of shard " + std::to_string(ShardOf(w.image.content_hash, shards_)) +
          " arrived in this shard's log; skipped");
      return Status::Ok();
    }
    auto source = Source(w.source);
    if (!source.ok()) {
      Log("image of source '" + w.source.name + "' refused: " + source.status().ToString());
      audit_.CountRefused(w);
      return Status::Ok();  // a declaration that can never be accepted: drop the entry
    }
    if (engine::IngestPolicy* policy = engine_.ingest_policy()) {
      if (Status admit = policy->AdmitSource(*source); !admit.ok()) {
        Log("image of '" + source->name + "' refused: " + admit.ToString());
        audit_.CountRefused(w);
        return Status::Ok();
      }
    }
    ASSIGN_OR_RETURN(std::optional<int64_t> held,
                     engine_.catalog().FindImageByHash(w.image.content_hash));
    if (held) {  // a redelivery or a re-publish: stored once already
      audit_.CountAlreadyHeld(w);
      return Status::Ok();
    }
    if (engine::IngestPolicy* erased = engine_.ingest_policy();
        erased && erased->PreviouslyErased(w.image.content_hash)) {
      Log("an image of '" + source->name + "' was erased before; not stored again");
      return Status::Ok();
    }
    ASSIGN_OR_RETURN(int64_t batch, Batch(*source));
    w.image.id = 0;
    w.image.source_id = source->id;
    w.image.batch_id = batch;
    std::vector<catalog::FaceRecord> faces;
    engine::IngestPolicy* policy = engine_.ingest_policy();
    for (auto& f : w.faces) {
      if (policy && policy->DropFace(f.embedding)) continue;  // opted out
      f.id = 0;
      faces.push_back(std::move(f));
    }
    Status st = engine_.StoreImage(w.image, faces);
    if (st.code() == StatusCode::kAlreadyExists) return Status::Ok();
    RETURN_IF_ERROR(st);
    audit_.CountStored(w, static_cast<int64_t>(faces.size()));
    ++stored_;
    dirty_ = true;
    return Status::Ok();
  }

  Status WriteReceipt(const ShardWrite& w, const json& body) {
    json j = body;
    j["shard"] = o_.shard;
    j["replica"] = o_.replica;
    j["applied_at"] = Now();
    return nats_.KvPut(
        kReceiptsBucket,
        w.request_id + ".s" + std::to_string(o_.shard) + ".r" + std::to_string(o_.replica),
        j.dump());
  }

  Status ApplyErase(const ShardWrite& w) {
    governance::ErasureRequest req;
    bool mine = true;
    if (w.kind == "face") {
      req.kind = governance::EraseKind::kFace;
      int64_t global = 0;
      try {
        global = std::stoll(w.value);
      } catch (...) {
        mine = false;
      }
      if (mine && ShardOfFace(global) != o_.shard) mine = false;
      req.value = std::to_string(LocalFaceId(global));
    } else if (w.kind == "image") {
      req.kind = governance::EraseKind::kImage;
      ASSIGN_OR_RETURN(std::optional<int64_t> id, engine_.catalog().FindImageByHash(w.value));
      if (!id) mine = false;
      req.value = id ? std::to_string(*id) : "";
    } else if (w.kind == "source") {
      req.kind = governance::EraseKind::kSource;
      req.value = w.value;
    } else if (w.kind == "jurisdiction") {
      req.kind = governance::EraseKind::kJurisdiction;
      req.value = w.value;
    } else if (w.kind == "subject") {
      req.kind = governance::EraseKind::kSubject;
      req.value = w.value;
      ASSIGN_OR_RETURN(auto held, governance::HeldFacesMatching(engine_, w.embedding, w.threshold));
      for (const auto& [id, score] : held) req.face_ids.push_back(id);
      if (req.face_ids.empty()) mine = false;
    } else {
      Log("unknown erasure kind '" + w.kind + "'; acknowledged with nothing erased");
      return WriteReceipt(w, {{"faces_removed", 0}, {"error", "unknown kind"}});
    }
    json receipt = {{"faces_removed", 0}, {"images_removed", 0}};
    if (mine) {
      auto plan = governance::PlanErasure(gov_, req);
      if (plan.ok()) {
        ASSIGN_OR_RETURN(governance::ErasureReceipt r,
                         governance::ExecuteErasure(gov_, *plan, w.why));
        for (const char* key : {"faces_removed", "images_removed", "vectors_removed",
                                "data_key_destroyed", "removed_ids_sha256", "audit_seq"}) {
          if (r.json.contains(key)) receipt[key] = r.json[key];
        }
        if (req.kind == governance::EraseKind::kSource) sources_.erase(w.value);
      } else if (plan.status().code() != StatusCode::kNotFound) {
        return plan.status();  // retried on redelivery
      }
    }
    RETURN_IF_ERROR(WriteReceipt(w, receipt));
    Log("erasure " + w.request_id + " (" + w.kind + "): " + receipt.dump());
    return Status::Ok();
  }

  Status ApplyOptOut(const ShardWrite& w) {
    auto out = governance::AddOptOutTemplate(gov_, w.embedding, w.probe_sha256, w.value, w.why);
    json receipt = {{"faces_removed", 0}};
    if (out.ok()) {
      receipt["faces_removed"] = out->value("matched_faces", 0);
    } else if (out.status().code() != StatusCode::kAlreadyExists) {
      return out.status();
    }
    RETURN_IF_ERROR(WriteReceipt(w, receipt));
    Log("opt-out " + w.value + ": " + receipt.dump());
    return Status::Ok();
  }

 private:
  const ShardNodeOptions& o_;
  const int shards_;
  NatsConnection& nats_;
  engine::Engine& engine_;
  governance::Governance& gov_;
  std::map<std::string, catalog::SourceRecord> sources_;
  std::map<int64_t, int64_t> batches_;
  ShardAudit audit_{gov_, o_.shard, o_.replica};
  std::atomic<int64_t> searches_{0};
  int64_t stored_ = 0;
  bool dirty_ = false;
};

}  // namespace

Status RunShardNode(const ShardNodeOptions& o) {
  const std::string name =
      "likeness-shard-" + std::to_string(o.shard) + "-" + std::to_string(o.replica);
  ASSIGN_OR_RETURN(auto nats, NatsConnection::Connect(o.nats_url, name, o.auth));
  ASSIGN_OR_RETURN(ShardMap map, LoadShardMap(*nats));
  if (o.shard < 0 || o.shard >= map.shards || o.replica < 0 || o.replica >= map.replicas) {
    return Status::InvalidArgument("the cluster has shards 0.." + std::to_string(map.shards - 1) +
                                   " and replicas 0.." + std::to_string(map.replicas - 1));
  }
  engine::EngineOptions engine_options = o.engine;
  if (engine_options.writer_role.empty()) engine_options.writer_role = "cluster-shard";
  ASSIGN_OR_RETURN(auto engine, engine::Engine::Open(engine_options));
  ASSIGN_OR_RETURN(auto gov, governance::Governance::Open(*engine, name));
  ShardReplica replica(o, map.shards, *nats, *engine, *gov);
  RETURN_IF_ERROR(replica.audit().RecordStart(engine->catalog()));
  ASSIGN_OR_RETURN(auto log,
                   PullConsumer::Bind(*nats, ShardStream(o.shard), "", ReplicaDurable(o.replica),
                                      std::chrono::seconds(30)));
  std::unique_ptr<QueueResponder> responder, media;
  uint64_t applied_seq = 0;
  int64_t applied = 0;
  auto last_save = Clock::now();
  auto last_audit = Clock::now();
  auto last_beat = Clock::now() - std::chrono::seconds(10);
  replica.Log("catching up with the shard log");
  while (!(o.stop && o.stop->load())) {
    auto batch = log->Fetch(64, std::chrono::milliseconds(500));
    if (!batch.ok()) {
      replica.Log(batch.status().ToString());
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      continue;
    }
    for (NatsMessage& m : *batch) {
      Status st = replica.Apply(m.subject(), m.data());
      if (!st.ok()) {
        replica.Log("applying entry " + std::to_string(m.stream_sequence()) + " failed (" +
                    st.ToString() + "); it will be redelivered");
        (void)m.Nak(std::chrono::milliseconds(1000));
        continue;
      }
      // The entry is committed: acknowledge it (a lost ack means a harmless redelivery).
      if (Status ack = m.Ack(); !ack.ok()) replica.Log(ack.ToString());
      applied_seq = std::max(applied_seq, m.stream_sequence());
      ++applied;
    }
    const auto now = Clock::now();
    if (!responder && batch->empty()) {
      // Caught up when nothing is pending for this replica: everything logged before we started
      // (erasures included) is applied. Only now do we answer searches.
      auto backlog = nats->ConsumerBacklog(ShardStream(o.shard), ReplicaDurable(o.replica));
      if (!backlog.ok()) replica.Log("reading the log position: " + backlog.status().ToString());
      if (backlog.ok() && *backlog == 0) {
        if (replica.dirty()) {
          RETURN_IF_ERROR(engine->SaveIndex());
          replica.clear_dirty();
        }
        ASSIGN_OR_RETURN(responder,
                         QueueResponder::Start(
                             *nats, ShardSearchSubject(o.shard), ShardQueueGroup(o.shard),
                             [&replica](std::string_view req) { return replica.Search(req); }));
        ASSIGN_OR_RETURN(
            media,
            QueueResponder::Start(*nats, ShardMediaSubject(o.shard), ShardQueueGroup(o.shard),
                                  [&replica](std::string_view req) { return replica.Crop(req); }));
        replica.Log("caught up (" + std::to_string(applied) +
                    " entries applied); serving searches");
        last_beat = now - std::chrono::seconds(10);
      }
    }
    if (replica.dirty() && (now - last_save >= o.save_every || batch->empty())) {
      if (Status st = engine->SaveIndex(); !st.ok())
        replica.Log("saving the index: " + st.ToString());
      replica.clear_dirty();
      last_save = now;
      // Codebooks trained on the first few faces are retrained on the grown partition while the
      // replica keeps applying and answering (Engine::StartBackgroundRebuild).
      if (engine->IndexNeedsRetraining() && engine->StartBackgroundRebuild().ok()) {
        replica.Log("retraining the index codebooks in the background");
      }
    }
    if (batch->empty() || now - last_audit >= std::chrono::seconds(10)) {
      // Stores are committed before this record; a failed audit write is retried next round.
      if (Status st = replica.audit().Flush(); !st.ok()) replica.Log("audit: " + st.ToString());
      last_audit = now;
    }
    if (now - last_beat >= std::chrono::seconds(1)) {
      replica.Heartbeat(responder ? "serving" : "catching-up", applied_seq);
      last_beat = now;
    }
  }
  responder.reset();  // no search is answered from here on
  media.reset();
  if (replica.dirty()) RETURN_IF_ERROR(engine->SaveIndex());
  RETURN_IF_ERROR(replica.audit().Flush());
  replica.Heartbeat("stopped", applied_seq);
  return Status::Ok();
}

}  // namespace likeness::cluster
