#include "cluster/shard_audit.h"

#include <algorithm>

namespace likeness::cluster {

using nlohmann::json;

ShardAudit::RunCounts& ShardAudit::Run(const ShardWrite& w) {
  RunCounts& c = runs_[w.batch_id.empty() ? "unnamed" : w.batch_id];
  if (c.source.empty()) c.source = w.source.name;
  if (c.basis.empty()) c.basis = w.source.legal_basis;
  if (c.operator_id.empty()) c.operator_id = w.why.operator_id;
  if (!w.worker.empty() &&
      std::find(c.workers.begin(), c.workers.end(), w.worker) == c.workers.end()) {
    c.workers.push_back(w.worker);
  }
  return c;
}

void ShardAudit::CountStored(const ShardWrite& store, int64_t faces) {
  RunCounts& c = Run(store);
  ++c.images;
  c.faces += faces;
}

Status ShardAudit::RecordStart(catalog::Catalog& catalog) {
  ASSIGN_OR_RETURN(auto stats, catalog.Stats());
  governance::Justification why{"shard-" + std::to_string(shard_), "cluster shard start", "", "",
                                ""};
  return gov_
      .Record("cluster.shard.start", why, "", stats.faces,
              {{"shard", shard_},
               {"replica", replica_},
               {"images_held", stats.images},
               {"faces_held", stats.faces}})
      .status();
}

Status ShardAudit::RecordRunBegin(const ShardWrite& w, const Status& declared) {
  governance::Justification why{w.why.operator_id, "cluster ingest", w.source.legal_basis,
                                "batch:" + w.batch_id, ""};
  Run(w).operator_id = w.why.operator_id;
  return gov_
      .Record(declared.ok() ? "cluster.ingest.begin" : "cluster.ingest.refused", why, "", w.jobs,
              {{"batch_id", w.batch_id},
               {"source", w.source.name},
               {"jurisdiction", w.source.jurisdiction},
               {"location", w.source.location},
               {"jobs_queued", w.jobs},
               {"shard", shard_},
               {"replica", replica_},
               {"error", declared.ok() ? "" : declared.ToString()}})
      .status();
}

Status ShardAudit::RecordRunEnd(const ShardWrite& w) {
  RETURN_IF_ERROR(Flush());
  governance::Justification why{w.why.operator_id, "cluster ingest", "", "batch:" + w.batch_id, ""};
  RETURN_IF_ERROR(gov_.Record("cluster.ingest.end", why, "", w.jobs,
                              {{"batch_id", w.batch_id},
                               {"jobs_finished", w.jobs},
                               {"shard", shard_},
                               {"replica", replica_}})
                      .status());
  runs_.erase(w.batch_id);
  return Status::Ok();
}

Status ShardAudit::RecordRefusedEntry(std::string_view subject, const ShardWrite& w) {
  governance::Justification why{w.why.operator_id.empty() ? "unknown" : w.why.operator_id,
                                "cluster log entry refused", "", "", ""};
  const std::string entry = w.op == ShardWrite::Op::kStore ? "store"
                            : w.kind.empty()               ? "ingest"
                                                           : w.kind;
  return gov_
      .Record("cluster.entry.refused", why, "", 0,
              {{"shard", shard_},
               {"replica", replica_},
               {"subject", std::string(subject)},
               {"entry", entry},
               {"request_id", w.request_id},
               {"batch_id", w.batch_id},
               {"worker", w.worker}})
      .status();
}

Status ShardAudit::Flush() {
  for (auto& [batch, c] : runs_) {
    if (c.images == 0 && c.refused == 0 && c.already_held == 0) continue;
    governance::Justification why{c.operator_id.empty() ? "unknown" : c.operator_id,
                                  "cluster ingest", c.basis, "batch:" + batch, ""};
    RETURN_IF_ERROR(gov_.Record("cluster.ingest.applied", why, "", c.faces,
                                {{"batch_id", batch},
                                 {"source", c.source},
                                 {"shard", shard_},
                                 {"replica", replica_},
                                 {"images", c.images},
                                 {"faces", c.faces},
                                 {"already_held", c.already_held},
                                 {"refused", c.refused},
                                 {"workers", c.workers}})
                        .status());
    c.images = c.faces = c.refused = c.already_held = 0;
    c.workers = json::array();
  }
  return Status::Ok();
}

}  // namespace likeness::cluster
