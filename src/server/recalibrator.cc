#include "server/recalibrator.h"

#include "engine/decision.h"

namespace likeness::server {

Recalibrator::~Recalibrator() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) thread_.join();
}

void Recalibrator::Kick() {
  if (engine_.remote_searcher() != nullptr) return;
  std::lock_guard lock(mu_);
  if (running_.load()) return;
  if (thread_.joinable()) thread_.join();  // the previous run has finished
  running_.store(true);
  thread_ = std::thread([this] {
    auto c = engine::CalibrateCatalog(engine_.catalog(), engine_.options().data_dir);
    if (c.ok()) {
      log_("recalibrated the decision threshold on " + std::to_string(c->gallery_size) + " faces");
      completed_.fetch_add(1);
    } else {
      log_("background recalibration failed: " + c.status().ToString());
    }
    running_.store(false);
  });
}

}  // namespace likeness::server
