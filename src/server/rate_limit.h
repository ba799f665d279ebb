// Token buckets keyed by a string (an API key's name, a client address).
//
// Each bucket holds up to `burst` tokens and refills at `per_second`; a request takes one token or
// is refused with the time until one is available (sent as Retry-After). Buckets are created full
// on first use and forgotten once they have refilled, when the table grows past a bound, so a
// flood of distinct addresses cannot grow memory without limit.
//
// Thread safety: all methods may be called concurrently (one mutex).
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace likeness::server {

struct BucketSpec {
  double per_second = 10;  // sustained rate; <= 0 disables the limit
  double burst = 20;       // bucket size: requests allowed at once after a quiet spell
};

class RateLimiter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  // `clock` defaults to std::chrono::steady_clock::now (tests pass a fake one).
  explicit RateLimiter(Clock clock = {});

  // Takes a token from bucket `key`. Returns nullopt when allowed, otherwise the seconds until the
  // next token (the request is refused and nothing is taken).
  std::optional<double> Take(const std::string& key, const BucketSpec& spec);
  // As Take, but takes nothing: whether a request would be refused now, and for how long.
  std::optional<double> Peek(const std::string& key, const BucketSpec& spec);

 private:
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point updated;
    double burst = 0;
    double per_second = 0;
  };
  std::optional<double> TakeOrPeek(const std::string& key, const BucketSpec& spec, bool take);
  void PruneLocked(std::chrono::steady_clock::time_point now);

  Clock clock_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;  // guarded by mu_
};

// Fixed-window counters keyed by a string: at most `limit` events per key per window (an hour, a
// day), windows aligned to the clock's epoch. Used for the self-check's hard caps (challenges per
// address per hour, checks per kiosk key per day), where a token bucket's refill would let a
// patient caller exceed the stated number. Entries of past windows are dropped as new ones come.
//
// Thread safety: all methods may be called concurrently (one mutex).
class WindowCounter {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  explicit WindowCounter(Clock clock = {});

  // Counts one event for `key` unless `limit` were already counted in the current `window`;
  // returns nullopt when counted, otherwise the seconds until the window ends. limit <= 0: no cap.
  std::optional<double> Take(const std::string& key, int64_t limit, std::chrono::seconds window);

 private:
  Clock clock_;
  std::mutex mu_;
  struct Count {
    int64_t window_index = 0;
    int64_t n = 0;
  };
  std::unordered_map<std::string, Count> counts_;  // guarded by mu_
};

}  // namespace likeness::server
