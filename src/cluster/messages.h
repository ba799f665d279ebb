// The JSON messages a cluster's roles exchange over NATS, and their (de)serialisation. Parsing
// never trusts its input: wrong types or missing fields give InvalidArgument, never a crash.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "engine/ingest.h"
#include "governance/justification.h"
#include "likeness/status.h"

namespace likeness::cluster {

// An ingest job on LK_JOBS: one image location of a declared source.
struct IngestJob {
  engine::SourceDeclaration source;
  std::string location;  // a file path or "ARCHIVE!/entry"
  std::string operator_id;
  std::string batch_id;  // the `cluster ingest` run that queued it ("ib-<hex>")
};
std::string EncodeJob(const IngestJob& job);
Result<IngestJob> DecodeJob(std::string_view text);

// One entry of a shard's replication log. kStore entries come from workers on the shard's store
// subject; every other kind from routers on its control subject (the shard checks the pairing).
struct ShardWrite {
  enum class Op { kStore, kErase, kOptOut, kIngestBegin, kIngestEnd } op = Op::kStore;
  // kStore: the image and its analysed faces (ids unset: the shard's catalog assigns them).
  // kIngestBegin: the source a router declared for a `cluster ingest` run (stores of a source
  // are accepted only after a router declared it).
  engine::SourceDeclaration source;
  catalog::ImageRecord image;
  std::vector<catalog::FaceRecord> faces;
  // kStore, kIngestBegin, kIngestEnd: the ingest run; kStore: the worker that analysed the image.
  std::string batch_id;
  std::string worker;
  int64_t jobs = 0;  // kIngestBegin: jobs queued; kIngestEnd: jobs the workers finished
  // kErase / kOptOut
  std::string request_id;
  std::string kind;  // kErase: "face", "image", "source", "jurisdiction", "subject"
  // kErase: the face id (global), image sha256, source name, country code, or for "subject" the
  // probe's sha256; kOptOut: the request reference.
  std::string value;
  std::string probe_sha256;  // kOptOut: of the probe photo (recorded in the audit chain)
  Embedding embedding;       // kErase "subject" and kOptOut: the person's template
  float threshold = 0;       // kErase "subject": cosine at or above which a face is the person's
  governance::Justification why;  // kIngestBegin/End: why.operator_id is who ingests
};
// True when an entry of this kind may arrive on the store subject (kStore), false for the control
// subject (every other kind).
inline bool IsStoreOp(ShardWrite::Op op) { return op == ShardWrite::Op::kStore; }
std::string EncodeWrite(const ShardWrite& write);
Result<ShardWrite> DecodeWrite(std::string_view text);

// A search request to one shard and its reply.
struct ShardSearchRequest {
  Embedding embedding;
  int top_k = 10;
  float min_score = -1;
};
std::string EncodeSearchRequest(const ShardSearchRequest& request);
Result<ShardSearchRequest> DecodeSearchRequest(std::string_view text);

struct ShardHit {
  float score = 0;
  catalog::FaceWithProvenance face;  // face.face.id is the shard-local id
};
struct ShardSearchReply {
  Status status;
  int shard = 0, replica = 0;
  int64_t gallery_size = 0;  // searchable faces in the replica's index
  std::vector<ShardHit> hits;
};
std::string EncodeSearchReply(const ShardSearchReply& reply);
Result<ShardSearchReply> DecodeSearchReply(std::string_view text);

nlohmann::json JustificationJson(const governance::Justification& why);
governance::Justification JustificationFromJson(const nlohmann::json& j);

}  // namespace likeness::cluster
