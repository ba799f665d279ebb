// The server's one background people clustering run (POST /api/v1/people/cluster): at most one at
// a time, its progress readable while it runs (GET /api/v1/people/cluster), the last run's outcome
// kept until the next start. The destructor waits for a running job to end.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>

#include "likeness/status.h"

namespace likeness::server {

class PeopleClusterJob {
 public:
  // Reports progress from inside the work: phase, done of total.
  using Report = std::function<void(std::string_view phase, int64_t done, int64_t total)>;
  // The work: returns the summary to keep (a JSON object) or an error.
  using Work = std::function<Result<nlohmann::json>(const Report&)>;

  PeopleClusterJob() = default;
  ~PeopleClusterJob();
  PeopleClusterJob(const PeopleClusterJob&) = delete;
  PeopleClusterJob& operator=(const PeopleClusterJob&) = delete;

  // Starts `work` on a thread of its own, started by `who`. FailedPrecondition while a run is
  // going.
  Status Start(std::string who, Work work);
  // {"state": "idle"|"running"|"done"|"failed", "phase", "done", "total", "started_by",
  //  "started_at", "finished_at", "summary" (done), "error" (failed)}.
  nlohmann::json Snapshot() const;

 private:
  mutable std::mutex mu_;
  std::string state_ = "idle";
  std::string phase_, started_by_, started_at_, finished_at_, error_;
  int64_t done_ = 0, total_ = 0;
  nlohmann::json summary_;
  std::thread thread_;
};

}  // namespace likeness::server
