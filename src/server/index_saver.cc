#include "server/index_saver.h"

#include <string>

namespace likeness::server {

IndexSaver::IndexSaver(engine::Engine& engine, std::chrono::milliseconds delay,
                       std::function<void(std::string_view)> log)
    : engine_(engine), delay_(delay), log_(std::move(log)), thread_([this] { Loop(); }) {}

IndexSaver::~IndexSaver() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  if (Status st = Flush(); !st.ok()) log_("index save at stop failed: " + st.ToString());
}

void IndexSaver::MarkDirty() {
  {
    std::lock_guard lock(mu_);
    if (dirty_) return;
    dirty_ = true;
    due_ = std::chrono::steady_clock::now() + delay_;
  }
  cv_.notify_all();
}

Status IndexSaver::Flush() {
  {
    std::lock_guard lock(mu_);
    if (!dirty_) return Status::Ok();
    dirty_ = false;
  }
  Status st = engine_.SaveIndex();
  if (!st.ok()) {
    MarkDirty();  // still pending
    return st;
  }
  // Codebooks trained on a first small ingest are retrained on the grown catalog, in the
  // background: searches and uploads go on meanwhile (Engine::StartBackgroundRebuild).
  if (engine_.IndexNeedsRetraining()) {
    const auto codebook = engine_.index().codebook();
    if (Status started = engine_.StartBackgroundRebuild(); started.ok()) {
      log_("index codebooks were trained on " +
           std::to_string(codebook ? codebook->sample_size : 0) + " faces, the index now holds " +
           std::to_string(engine_.index().size()) + ": retraining in the background");
    }
  }
  return st;
}

void IndexSaver::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (!dirty_) {
      cv_.wait(lock);
    } else if (std::chrono::steady_clock::now() < due_) {
      cv_.wait_until(lock, due_);
    } else {
      lock.unlock();
      if (Status st = Flush(); !st.ok()) log_("index save failed: " + st.ToString());
      lock.lock();
    }
  }
}

}  // namespace likeness::server
