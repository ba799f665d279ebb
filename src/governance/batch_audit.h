// Ingest batches in the audit log, so that no stored photo lacks an audit trace even when an
// ingest is killed: a batch is recorded when it starts ("ingest-start": source, operator, batch
// id), before any of its photos is stored, and again when it ends ("ingest", the batch's totals)
// or, if its process died first, when the next batch starts ("ingest-unfinished": the images and
// faces it committed, counted in the catalog).
#pragma once

#include <cstdint>
#include <mutex>
#include <set>
#include <string>

#include "catalog/catalog.h"
#include "likeness/status.h"

namespace likeness::governance {

class Governance;

inline constexpr const char* kIngestStartAction = "ingest-start";
inline constexpr const char* kIngestEndAction = "ingest";
inline constexpr const char* kIngestUnfinishedAction = "ingest-unfinished";

// Tracks the batches this process has running, so that a concurrent batch of the same process is
// never reported unfinished. Thread safe.
class BatchAuditor {
 public:
  explicit BatchAuditor(Governance& gov) : gov_(gov) {}

  // First records every earlier batch that started but neither ended nor was reported unfinished
  // and whose process is gone (not running in this process, and its recorded pid is not alive),
  // then records this batch's start. Errors: the audit log's (the caller then refuses the ingest:
  // no audit record, no ingest).
  Status Started(const catalog::SourceRecord& source, int64_t batch_id,
                 const std::string& operator_id);
  // The batch ended (its "ingest" record is written by the caller).
  void Ended(int64_t batch_id);

 private:
  Status RecordUnfinished(const std::string& operator_id);

  Governance& gov_;
  std::mutex mu_;  // serialises Started (two starts never report one batch twice)
  std::set<int64_t> running_;
};

}  // namespace likeness::governance
