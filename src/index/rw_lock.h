// A reader/writer lock that does not starve writers. Internal to src/index.
//
// std::shared_mutex is pthread_rwlock on glibc, which prefers readers: while searches keep
// overlapping, a waiting Add never gets in (seen as a hang in the concurrency test). Here a writer
// holds a gate mutex while it waits for and holds the exclusive lock, and readers pass through the
// gate before taking the shared lock, so new readers queue behind a waiting writer.
#pragma once

#include <mutex>
#include <shared_mutex>

namespace likeness::index {

class RwLock {
 public:
  class [[nodiscard]] WriteGuard {
   public:
    explicit WriteGuard(RwLock& lock) : gate_(lock.gate_), exclusive_(lock.mu_) {}

   private:
    std::unique_lock<std::mutex> gate_;  // released after exclusive_ (reverse declaration order)
    std::unique_lock<std::shared_mutex> exclusive_;
  };

  [[nodiscard]] std::shared_lock<std::shared_mutex> Read() {
    { const std::lock_guard<std::mutex> pass(gate_); }
    return std::shared_lock<std::shared_mutex>(mu_);
  }
  [[nodiscard]] WriteGuard Write() { return WriteGuard(*this); }

 private:
  std::mutex gate_;
  std::shared_mutex mu_;
};

}  // namespace likeness::index
