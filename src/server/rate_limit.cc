#include "server/rate_limit.h"

#include <algorithm>

namespace likeness::server {
namespace {
// Above this many buckets, refilled ones are dropped before a new one is added.
constexpr size_t kPruneAbove = 10'000;

double Refilled(double tokens, double seconds, double per_second, double burst) {
  return std::min(burst, tokens + seconds * per_second);
}
}  // namespace

RateLimiter::RateLimiter(Clock clock)
    : clock_(clock ? std::move(clock) : [] { return std::chrono::steady_clock::now(); }) {}

std::optional<double> RateLimiter::Take(const std::string& key, const BucketSpec& spec) {
  return TakeOrPeek(key, spec, /*take=*/true);
}

std::optional<double> RateLimiter::Peek(const std::string& key, const BucketSpec& spec) {
  return TakeOrPeek(key, spec, /*take=*/false);
}

std::optional<double> RateLimiter::TakeOrPeek(const std::string& key, const BucketSpec& spec,
                                              bool take) {
  if (spec.per_second <= 0) return std::nullopt;
  const double burst = std::max(1.0, spec.burst);
  const auto now = clock_();
  std::lock_guard lock(mu_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= kPruneAbove) PruneLocked(now);
    it = buckets_.emplace(key, Bucket{burst, now, burst, spec.per_second}).first;
  }
  Bucket& b = it->second;
  const double elapsed = std::chrono::duration<double>(now - b.updated).count();
  b.tokens = Refilled(b.tokens, std::max(0.0, elapsed), spec.per_second, burst);
  b.updated = now;
  b.burst = burst;
  b.per_second = spec.per_second;
  if (b.tokens >= 1.0) {
    if (take) b.tokens -= 1.0;
    return std::nullopt;
  }
  return (1.0 - b.tokens) / spec.per_second;
}

void RateLimiter::PruneLocked(std::chrono::steady_clock::time_point now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    const Bucket& b = it->second;
    const double elapsed = std::chrono::duration<double>(now - b.updated).count();
    if (Refilled(b.tokens, elapsed, b.per_second, b.burst) >= b.burst) {
      it = buckets_.erase(it);
    } else {
      ++it;
    }
  }
}

WindowCounter::WindowCounter(Clock clock)
    : clock_(clock ? std::move(clock) : [] { return std::chrono::system_clock::now(); }) {}

std::optional<double> WindowCounter::Take(const std::string& key, int64_t limit,
                                          std::chrono::seconds window) {
  if (limit <= 0 || window.count() <= 0) return std::nullopt;
  const auto since_epoch =
      std::chrono::duration_cast<std::chrono::seconds>(clock_().time_since_epoch()).count();
  const int64_t index = since_epoch / window.count();
  std::lock_guard lock(mu_);
  if (counts_.size() >= kPruneAbove) {
    std::erase_if(counts_, [index](const auto& kv) { return kv.second.window_index != index; });
  }
  Count& c = counts_[key];
  if (c.window_index != index) c = {index, 0};
  if (c.n >= limit) return static_cast<double>((index + 1) * window.count() - since_epoch);
  ++c.n;
  return std::nullopt;
}

}  // namespace likeness::server
