#include "cluster/messages.h"

#include <algorithm>

namespace likeness::cluster {
namespace {

using nlohmann::json;

Result<json> ParseObject(std::string_view text, const char* what) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::InvalidArgument(std::string(what) + " is not a JSON object");
  }
  return j;
}

// Typed field reads that never throw.
std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
int64_t Int(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<int64_t>() : 0;
}
float Num(const json& j, const char* key, float fallback = 0) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<float>() : fallback;
}
bool Bool(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}
const json& Obj(const json& j, const char* key) {
  static const json empty = json::object();
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : empty;
}

json FloatsJson(std::span<const float> v) { return json(std::vector<float>(v.begin(), v.end())); }

Result<Embedding> Floats(const json& j, const char* key, bool required) {
  Embedding out;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) return Status::InvalidArgument(std::string("'") + key + "' is missing");
    return out;
  }
  if (!it->is_array()) return Status::InvalidArgument(std::string("'") + key + "' is not an array");
  if (it->size() > 4096) return Status::InvalidArgument(std::string("'") + key + "' is too long");
  for (const auto& x : *it) {
    if (!x.is_number())
      return Status::InvalidArgument(std::string("'") + key + "' holds a non-number");
    out.push_back(x.get<float>());
  }
  return out;
}

json SourceJson(const engine::SourceDeclaration& s) {
  return {{"name", s.name},
          {"legal_basis", s.legal_basis},
          {"art9_condition", s.art9_condition},
          {"jurisdiction", s.jurisdiction},
          {"retain_until", s.retain_until},
          {"collector", s.collector},
          {"kind", std::string(catalog::SourceKindName(s.kind))},
          {"location", s.location}};
}

Result<engine::SourceDeclaration> SourceFrom(const json& j) {
  engine::SourceDeclaration s;
  s.name = Str(j, "name");
  s.legal_basis = Str(j, "legal_basis");
  s.art9_condition = Str(j, "art9_condition");
  s.jurisdiction = Str(j, "jurisdiction");
  s.retain_until = Str(j, "retain_until");
  s.collector = Str(j, "collector");
  s.location = Str(j, "location");
  const std::string kind = Str(j, "kind");
  if (!kind.empty()) {
    ASSIGN_OR_RETURN(s.kind, catalog::ParseSourceKind(kind));
  }
  if (s.name.empty()) return Status::InvalidArgument("the source has no name");
  return s;
}

json ImageJson(const catalog::ImageRecord& i) {
  return {{"id", i.id},       {"content_hash", i.content_hash},
          {"path", i.path},   {"format", i.format},
          {"width", i.width}, {"height", i.height},
          {"bytes", i.bytes}, {"ingested_at", i.ingested_at}};
}

catalog::ImageRecord ImageFrom(const json& j) {
  catalog::ImageRecord i;
  i.id = Int(j, "id");
  i.content_hash = Str(j, "content_hash");
  i.path = Str(j, "path");
  i.format = Str(j, "format");
  i.width = static_cast<int>(Int(j, "width"));
  i.height = static_cast<int>(Int(j, "height"));
  i.bytes = Int(j, "bytes");
  i.ingested_at = Str(j, "ingested_at");
  return i;
}

json FaceJson(const catalog::FaceRecord& f) {
  json points = json::array();
  for (const auto& p : f.points) points.push_back({p.x, p.y});
  json j = {{"id", f.id},
            {"box", {f.box.x1, f.box.y1, f.box.x2, f.box.y2}},
            {"points", points},
            {"quality",
             {{"detector", f.quality.detector_score},
              {"sharpness", f.quality.sharpness},
              {"face_px", f.quality.face_px},
              {"yaw", f.quality.yaw_deg},
              {"pitch", f.quality.pitch_deg},
              {"roll", f.quality.roll_deg},
              {"overall", f.quality.overall}}},
            {"searchable", f.searchable},
            {"model_id", f.model_id}};
  if (!f.embedding.empty()) j["embedding"] = FloatsJson(f.embedding);
  return j;
}

Result<catalog::FaceRecord> FaceFrom(const json& j) {
  catalog::FaceRecord f;
  f.id = Int(j, "id");
  auto box = j.find("box");
  if (box == j.end() || !box->is_array() || box->size() != 4) {
    return Status::InvalidArgument("a face has no box");
  }
  for (const auto& x : *box) {
    if (!x.is_number()) return Status::InvalidArgument("a face box holds a non-number");
  }
  f.box = {(*box)[0].get<float>(), (*box)[1].get<float>(), (*box)[2].get<float>(),
           (*box)[3].get<float>()};
  auto points = j.find("points");
  if (points != j.end() && points->is_array() && points->size() == f.points.size()) {
    for (size_t i = 0; i < f.points.size(); ++i) {
      const json& p = (*points)[i];
      if (p.is_array() && p.size() == 2 && p[0].is_number() && p[1].is_number()) {
        f.points[i] = {p[0].get<float>(), p[1].get<float>()};
      }
    }
  }
  const json& q = Obj(j, "quality");
  f.quality.detector_score = Num(q, "detector");
  f.quality.sharpness = Num(q, "sharpness");
  f.quality.face_px = Num(q, "face_px");
  f.quality.yaw_deg = Num(q, "yaw");
  f.quality.pitch_deg = Num(q, "pitch");
  f.quality.roll_deg = Num(q, "roll");
  f.quality.overall = Num(q, "overall");
  f.searchable = Bool(j, "searchable");
  f.model_id = Str(j, "model_id");
  ASSIGN_OR_RETURN(f.embedding, Floats(j, "embedding", false));
  return f;
}

json SourceRecordJson(const catalog::SourceRecord& s) {
  return {{"id", s.id},
          {"name", s.name},
          {"kind", std::string(catalog::SourceKindName(s.kind))},
          {"location", s.location},
          {"collector", s.collector},
          {"legal_basis", s.legal_basis},
          {"art9_condition", s.art9_condition},
          {"jurisdiction", s.jurisdiction},
          {"retain_until", s.retain_until},
          {"created_at", s.created_at},
          {"tenant", s.tenant}};
}

catalog::SourceRecord SourceRecordFrom(const json& j) {
  catalog::SourceRecord s;
  s.id = Int(j, "id");
  s.name = Str(j, "name");
  if (auto kind = catalog::ParseSourceKind(Str(j, "kind")); kind.ok()) s.kind = *kind;
  s.location = Str(j, "location");
  s.collector = Str(j, "collector");
  s.legal_basis = Str(j, "legal_basis");
  s.art9_condition = Str(j, "art9_condition");
  s.jurisdiction = Str(j, "jurisdiction");
  s.retain_until = Str(j, "retain_until");
  s.created_at = Str(j, "created_at");
  s.tenant = Str(j, "tenant");
  return s;
}

const char* OpName(ShardWrite::Op op) {
  switch (op) {
    case ShardWrite::Op::kStore:
      return "store";
    case ShardWrite::Op::kErase:
      return "erase";
    case ShardWrite::Op::kOptOut:
      return "optout";
    case ShardWrite::Op::kIngestBegin:
      return "ingest-begin";
    case ShardWrite::Op::kIngestEnd:
      return "ingest-end";
  }
  return "store";
}

}  // namespace

json JustificationJson(const governance::Justification& why) {
  return {{"operator", why.operator_id},
          {"purpose", why.purpose},
          {"basis", why.legal_basis},
          {"case", why.case_ref},
          {"tenant", why.tenant}};
}

governance::Justification JustificationFromJson(const json& j) {
  governance::Justification why;
  why.operator_id = Str(j, "operator");
  why.purpose = Str(j, "purpose");
  why.legal_basis = Str(j, "basis");
  why.case_ref = Str(j, "case");
  why.tenant = Str(j, "tenant");
  return why;
}

std::string EncodeJob(const IngestJob& job) {
  return json{{"source", SourceJson(job.source)},
              {"location", job.location},
              {"operator", job.operator_id},
              {"batch_id", job.batch_id}}
      .dump();
}

Result<IngestJob> DecodeJob(std::string_view text) {
  ASSIGN_OR_RETURN(json j, ParseObject(text, "an ingest job"));
  IngestJob job;
  ASSIGN_OR_RETURN(job.source, SourceFrom(Obj(j, "source")));
  job.location = Str(j, "location");
  job.operator_id = Str(j, "operator");
  job.batch_id = Str(j, "batch_id");
  if (job.location.empty()) return Status::InvalidArgument("an ingest job has no location");
  return job;
}

std::string EncodeWrite(const ShardWrite& w) {
  json j = {{"op", OpName(w.op)}};
  if (w.op == ShardWrite::Op::kStore) {
    j["source"] = SourceJson(w.source);
    j["image"] = ImageJson(w.image);
    json faces = json::array();
    for (const auto& f : w.faces) faces.push_back(FaceJson(f));
    j["faces"] = std::move(faces);
    j["batch_id"] = w.batch_id;
    j["worker"] = w.worker;
    j["operator"] = w.why.operator_id;
  } else if (w.op == ShardWrite::Op::kIngestBegin || w.op == ShardWrite::Op::kIngestEnd) {
    if (w.op == ShardWrite::Op::kIngestBegin) j["source"] = SourceJson(w.source);
    j["batch_id"] = w.batch_id;
    j["jobs"] = w.jobs;
    j["why"] = JustificationJson(w.why);
  } else {
    j["request_id"] = w.request_id;
    j["kind"] = w.kind;
    j["value"] = w.value;
    j["probe_sha256"] = w.probe_sha256;
    if (!w.embedding.empty()) j["embedding"] = FloatsJson(w.embedding);
    j["threshold"] = w.threshold;
    j["why"] = JustificationJson(w.why);
  }
  return j.dump();
}

Result<ShardWrite> DecodeWrite(std::string_view text) {
  ASSIGN_OR_RETURN(json j, ParseObject(text, "a shard log entry"));
  ShardWrite w;
  const std::string op = Str(j, "op");
  if (op == "store") {
    w.op = ShardWrite::Op::kStore;
    ASSIGN_OR_RETURN(w.source, SourceFrom(Obj(j, "source")));
    w.image = ImageFrom(Obj(j, "image"));
    if (w.image.content_hash.size() != 64) {
      return Status::InvalidArgument("a stored image has no content hash");
    }
    auto faces = j.find("faces");
    if (faces != j.end() && faces->is_array()) {
      for (const auto& f : *faces) {
        if (!f.is_object()) return Status::InvalidArgument("a face is not an object");
        ASSIGN_OR_RETURN(auto face, FaceFrom(f));
        if (face.embedding.size() != kEmbeddingDim) {
          return Status::InvalidArgument("a stored face has no embedding of the model's size");
        }
        w.faces.push_back(std::move(face));
      }
    }
    w.batch_id = Str(j, "batch_id");
    w.worker = Str(j, "worker");
    w.why.operator_id = Str(j, "operator");
    return w;
  }
  if (op == "ingest-begin" || op == "ingest-end") {
    w.op = op == "ingest-begin" ? ShardWrite::Op::kIngestBegin : ShardWrite::Op::kIngestEnd;
    if (w.op == ShardWrite::Op::kIngestBegin) {
      ASSIGN_OR_RETURN(w.source, SourceFrom(Obj(j, "source")));
    }
    w.batch_id = Str(j, "batch_id");
    w.jobs = Int(j, "jobs");
    w.why = JustificationFromJson(Obj(j, "why"));
    if (w.batch_id.empty()) return Status::InvalidArgument("an ingest entry has no batch id");
    return w;
  }
  if (op != "erase" && op != "optout") {
    return Status::InvalidArgument("unknown shard log operation '" + op + "'");
  }
  w.op = op == "erase" ? ShardWrite::Op::kErase : ShardWrite::Op::kOptOut;
  w.request_id = Str(j, "request_id");
  w.kind = Str(j, "kind");
  w.value = Str(j, "value");
  w.probe_sha256 = Str(j, "probe_sha256");
  ASSIGN_OR_RETURN(w.embedding, Floats(j, "embedding", false));
  w.threshold = Num(j, "threshold");
  w.why = JustificationFromJson(Obj(j, "why"));
  if (w.request_id.empty()) return Status::InvalidArgument("an erasure has no request id");
  return w;
}

std::string EncodeSearchRequest(const ShardSearchRequest& r) {
  return json{
      {"embedding", FloatsJson(r.embedding)}, {"top_k", r.top_k}, {"min_score", r.min_score}}
      .dump();
}

Result<ShardSearchRequest> DecodeSearchRequest(std::string_view text) {
  ASSIGN_OR_RETURN(json j, ParseObject(text, "a search request"));
  ShardSearchRequest r;
  ASSIGN_OR_RETURN(r.embedding, Floats(j, "embedding", true));
  if (r.embedding.size() != kEmbeddingDim) {
    return Status::InvalidArgument("the probe embedding has " + std::to_string(r.embedding.size()) +
                                   " values, not " + std::to_string(kEmbeddingDim));
  }
  r.top_k = static_cast<int>(std::clamp<int64_t>(Int(j, "top_k"), 1, 1000));
  r.min_score = Num(j, "min_score", -1);
  return r;
}

std::string EncodeSearchReply(const ShardSearchReply& r) {
  json hits = json::array();
  for (const auto& h : r.hits) {
    hits.push_back({{"score", h.score},
                    {"face", FaceJson(h.face.face)},
                    {"image", ImageJson(h.face.image)},
                    {"source", SourceRecordJson(h.face.source)}});
  }
  json j = {{"shard", r.shard},
            {"replica", r.replica},
            {"gallery_size", r.gallery_size},
            {"hits", std::move(hits)}};
  if (!r.status.ok()) {
    j["error"] = {{"code", std::string(StatusCodeName(r.status.code()))},
                  {"message", r.status.message()}};
  }
  return j.dump();
}

Result<ShardSearchReply> DecodeSearchReply(std::string_view text) {
  ASSIGN_OR_RETURN(json j, ParseObject(text, "a shard's search reply"));
  ShardSearchReply r;
  r.shard = static_cast<int>(Int(j, "shard"));
  r.replica = static_cast<int>(Int(j, "replica"));
  r.gallery_size = Int(j, "gallery_size");
  if (j.contains("error")) {
    r.status = Status::IOError("shard " + std::to_string(r.shard) + ": " +
                               Str(Obj(j, "error"), "message"));
  }
  auto hits = j.find("hits");
  if (hits != j.end() && hits->is_array()) {
    for (const auto& h : *hits) {
      if (!h.is_object()) continue;
      ShardHit hit;
      hit.score = Num(h, "score");
      ASSIGN_OR_RETURN(hit.face.face, FaceFrom(Obj(h, "face")));
      hit.face.image = ImageFrom(Obj(h, "image"));
      hit.face.source = SourceRecordFrom(Obj(h, "source"));
      hit.face.face.image_id = hit.face.image.id;
      r.hits.push_back(std::move(hit));
    }
  }
  return r;
}

}  // namespace likeness::cluster
