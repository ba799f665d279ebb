// Coalesced index saves for the server. The catalog commits every uploaded image and is the source
// of truth; the index file is derived (one whose generation lags the catalog is rebuilt at open),
// and saving it rewrites the whole file - about 2 KiB per face - so saving after every upload
// request costs O(catalog) per request. Uploads mark the index dirty instead; this saves it at most
// once per `delay`, and when the server stops. Erasures still save at once (governance), which
// also writes whatever uploads were pending. After a save, an index whose codebooks were trained on
// too small a sample (Engine::IndexNeedsRetraining) is retrained and rebuilt in the background.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string_view>
#include <thread>

#include "engine/engine.h"
#include "likeness/status.h"

namespace likeness::server {

class IndexSaver {
 public:
  // `log` receives a line when a background save fails (the next mark retries).
  IndexSaver(engine::Engine& engine, std::chrono::milliseconds delay,
             std::function<void(std::string_view)> log);
  // Stops the background thread and saves what is pending (a failure is logged).
  ~IndexSaver();
  IndexSaver(const IndexSaver&) = delete;
  IndexSaver& operator=(const IndexSaver&) = delete;

  // The index changed: save it within `delay` (marks within one delay share one save).
  void MarkDirty();
  // Saves now if anything is pending. Errors: those of Engine::SaveIndex (then still pending).
  Status Flush();

 private:
  void Loop();

  engine::Engine& engine_;
  const std::chrono::milliseconds delay_;
  std::function<void(std::string_view)> log_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool dirty_ = false;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point due_;
  std::thread thread_;  // last: starts after the members it reads
};

}  // namespace likeness::server
