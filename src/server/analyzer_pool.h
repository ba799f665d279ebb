// A small blocking pool of FaceAnalyzers (each owns stateful cv::dnn nets, so one per concurrent
// user). A handler leases one for the duration of its image work; when all are out, it waits up
// to a deadline and then gives up, so a burst of searches queues briefly instead of piling up.
//
// Thread safety: Acquire and the Lease destructor may be called from any thread. The pool must
// outlive its leases.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "engine/engine.h"
#include "likeness/status.h"
#include "vision/face_analyzer.h"

namespace likeness::server {

class AnalyzerPool {
 public:
  // Creates `size` analyzers (size >= 1). Errors: those of Engine::NewAnalyzer.
  static Result<std::unique_ptr<AnalyzerPool>> Create(const engine::Engine& engine, int size);

  class Lease {
   public:
    Lease(Lease&& other) noexcept : pool_(other.pool_), analyzer_(std::move(other.analyzer_)) {
      other.pool_ = nullptr;
    }
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();
    vision::FaceAnalyzer& operator*() const { return *analyzer_; }
    vision::FaceAnalyzer* operator->() const { return analyzer_.get(); }

   private:
    friend class AnalyzerPool;
    Lease(AnalyzerPool* pool, std::unique_ptr<vision::FaceAnalyzer> a)
        : pool_(pool), analyzer_(std::move(a)) {}
    AnalyzerPool* pool_;
    std::unique_ptr<vision::FaceAnalyzer> analyzer_;
  };

  // Waits up to `wait` for a free analyzer. ResourceExhausted("busy") when none frees in time.
  Result<Lease> Acquire(std::chrono::milliseconds wait);
  int size() const { return size_; }

 private:
  explicit AnalyzerPool(int size) : size_(size) {}
  void Return(std::unique_ptr<vision::FaceAnalyzer> analyzer);

  const int size_;
  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<vision::FaceAnalyzer>> free_;  // guarded by mu_
};

}  // namespace likeness::server
