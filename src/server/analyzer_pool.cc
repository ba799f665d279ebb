#include "server/analyzer_pool.h"

namespace likeness::server {

Result<std::unique_ptr<AnalyzerPool>> AnalyzerPool::Create(const engine::Engine& engine, int size) {
  if (size < 1) return Status::InvalidArgument("the analyzer pool needs at least one analyzer");
  std::unique_ptr<AnalyzerPool> pool(new AnalyzerPool(size));
  for (int i = 0; i < size; ++i) {
    ASSIGN_OR_RETURN(auto analyzer, engine.NewAnalyzer());
    pool->free_.push_back(std::move(analyzer));
  }
  return pool;
}

AnalyzerPool::Lease::~Lease() {
  if (pool_ && analyzer_) pool_->Return(std::move(analyzer_));
}

Result<AnalyzerPool::Lease> AnalyzerPool::Acquire(std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  if (!freed_.wait_for(lock, wait, [this] { return !free_.empty(); })) {
    return Status::ResourceExhausted("all face analyzers are busy; try again shortly");
  }
  auto analyzer = std::move(free_.back());
  free_.pop_back();
  return Lease(this, std::move(analyzer));
}

void AnalyzerPool::Return(std::unique_ptr<vision::FaceAnalyzer> analyzer) {
  {
    std::lock_guard lock(mu_);
    free_.push_back(std::move(analyzer));
  }
  freed_.notify_one();
}

}  // namespace likeness::server
