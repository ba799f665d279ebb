// Keeps the impostor model current as the catalog grows: after a search reports that the stored
// calibration is stale (the catalog grew past engine::kRecalibrateGrowth times the size it was
// measured at), Kick() recalibrates the catalog on a background thread (engine::CalibrateCatalog,
// keeping the operator's target FPIR) while searches go on with the old model, which still gives
// the threshold for the current gallery size. One recalibration at a time; Kick() while one runs
// does nothing.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string_view>
#include <thread>

#include "engine/engine.h"

namespace likeness::server {

class Recalibrator {
 public:
  Recalibrator(engine::Engine& engine, std::function<void(std::string_view)> log)
      : engine_(engine), log_(std::move(log)) {}
  // Waits for a running recalibration.
  ~Recalibrator();
  Recalibrator(const Recalibrator&) = delete;
  Recalibrator& operator=(const Recalibrator&) = delete;

  // Starts a background recalibration unless one is running (or the engine is a cluster router,
  // which holds no faces to measure).
  void Kick();
  // Recalibrations finished since the server started (for tests and logs).
  int64_t completed() const { return completed_.load(); }

 private:
  engine::Engine& engine_;
  std::function<void(std::string_view)> log_;
  std::mutex mu_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<int64_t> completed_{0};
};

}  // namespace likeness::server
