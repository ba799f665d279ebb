#include "server/people_cluster_job.h"

#include <chrono>
#include <ctime>

namespace likeness::server {
namespace {

std::string NowUtc() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

PeopleClusterJob::~PeopleClusterJob() {
  if (thread_.joinable()) thread_.join();
}

Status PeopleClusterJob::Start(std::string who, Work work) {
  std::lock_guard lock(mu_);
  if (state_ == "running") {
    return Status::FailedPrecondition("people clustering is already running (started by " +
                                      started_by_ + " at " + started_at_ + ")");
  }
  if (thread_.joinable()) thread_.join();  // the previous run has ended; reap its thread
  state_ = "running";
  phase_ = "reading faces";
  done_ = total_ = 0;
  started_by_ = std::move(who);
  started_at_ = NowUtc();
  finished_at_.clear();
  error_.clear();
  summary_ = nullptr;
  thread_ = std::thread([this, work = std::move(work)] {
    const Report report = [this](std::string_view phase, int64_t done, int64_t total) {
      std::lock_guard l(mu_);
      phase_ = std::string(phase);
      done_ = done;
      total_ = total;
    };
    Result<nlohmann::json> result = work(report);
    std::lock_guard l(mu_);
    finished_at_ = NowUtc();
    if (result.ok()) {
      state_ = "done";
      summary_ = std::move(*result);
    } else {
      state_ = "failed";
      error_ = result.status().message();
    }
  });
  return Status::Ok();
}

nlohmann::json PeopleClusterJob::Snapshot() const {
  std::lock_guard lock(mu_);
  nlohmann::json j = {{"state", state_}};
  if (state_ == "idle") return j;
  j["phase"] = phase_;
  j["done"] = done_;
  j["total"] = total_;
  j["started_by"] = started_by_;
  j["started_at"] = started_at_;
  j["finished_at"] = finished_at_;
  if (state_ == "done") j["summary"] = summary_;
  if (state_ == "failed") j["error"] = error_;
  return j;
}

}  // namespace likeness::server
