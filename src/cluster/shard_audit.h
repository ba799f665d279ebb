// What a shard replica writes into its own audit chain about the log it applies:
//   cluster.shard.start     at every start: images and faces held (accounts for stores a killed
//                           replica applied after its last record)
//   cluster.ingest.begin    an ingest run's declaration arrived (source, operator, batch, jobs);
//                           cluster.ingest.refused when the declaration was refused
//   cluster.ingest.applied  per run, what was applied since the previous record: images and faces
//                           stored, already held, refused, and the workers that sent them
//   cluster.ingest.end      the run's end (after its last images)
//   cluster.entry.refused   an entry whose kind does not match the subject it arrived on (a role
//                           sent what it may not), with who it claimed to be
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "catalog/catalog.h"
#include "cluster/messages.h"
#include "governance/governance.h"
#include "likeness/status.h"

namespace likeness::cluster {

class ShardAudit {
 public:
  ShardAudit(governance::Governance& gov, int shard, int replica)
      : gov_(gov), shard_(shard), replica_(replica) {}

  Status RecordStart(catalog::Catalog& catalog);
  // `declared`: the outcome of declaring the run's source.
  Status RecordRunBegin(const ShardWrite& begin, const Status& declared);
  // Writes what is pending for the run, then its end.
  Status RecordRunEnd(const ShardWrite& end);
  Status RecordRefusedEntry(std::string_view subject, const ShardWrite& entry);

  // Counts an image entry of a run (written by Flush).
  void CountStored(const ShardWrite& store, int64_t faces);
  void CountAlreadyHeld(const ShardWrite& store) { ++Run(store).already_held; }
  void CountRefused(const ShardWrite& store) { ++Run(store).refused; }

  // One cluster.ingest.applied record per run with counts since the last one. Called when the
  // log is idle, every few seconds while busy, and before stopping; the stores it reports are
  // already committed, so a failed write is simply retried at the next call.
  Status Flush();

 private:
  struct RunCounts {
    std::string source, basis, operator_id;
    int64_t images = 0, faces = 0, refused = 0, already_held = 0;
    nlohmann::json workers = nlohmann::json::array();
  };
  RunCounts& Run(const ShardWrite& w);

  governance::Governance& gov_;
  const int shard_, replica_;
  std::map<std::string, RunCounts> runs_;  // runs with counts not yet in an audit record
};

}  // namespace likeness::cluster
