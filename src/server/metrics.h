// Request metrics in the Prometheus text format (version 0.0.4).
//
// Per route (the route's pattern, never the raw path, so the label set stays bounded): a request
// counter by method, route and status, and a latency histogram by method and route. Process-wide:
// ingest counters and rate-limit refusals. Gauges that live elsewhere (faces indexed, catalog
// sizes) are passed to Render.
//
// Thread safety: all methods may be called concurrently (one mutex).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace likeness::server {

struct MetricsGauges {
  int64_t faces_indexed = 0;   // vectors in the search index
  int64_t catalog_images = 0;  // images in the catalog
  int64_t catalog_faces = 0;   // faces in the catalog
  int64_t sources = 0;
};

class Metrics {
 public:
  // Latency histogram bucket bounds, in seconds.
  static constexpr double kBuckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                        0.5,   1,    2.5,   5,    10,  30};

  // route: a route pattern such as "/api/v1/sources/{id}", or "unmatched".
  void ObserveRequest(std::string_view method, std::string_view route, int status, double seconds);
  void AddIngest(int64_t images, int64_t faces, int64_t skipped, int64_t errors);
  void AddRateLimited(std::string_view scope);  // "key", "address", "auth"
  // Requests being handled now (the dispatcher adds 1 on entry and -1 on exit).
  void AddInFlight(int delta) { in_flight_ += delta; }

  std::string Render(const MetricsGauges& gauges) const;

 private:
  struct Histogram {
    std::vector<uint64_t> counts = std::vector<uint64_t>(std::size(kBuckets), 0);
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;  // guarded by mu_
  std::map<std::pair<std::string, std::string>, Histogram> latency_;        // guarded by mu_
  std::map<std::string, uint64_t> rate_limited_;                            // guarded by mu_
  int64_t ingest_images_ = 0, ingest_faces_ = 0, ingest_skipped_ = 0,
          ingest_errors_ = 0;  // guarded by mu_
  std::atomic<int> in_flight_{0};
};

}  // namespace likeness::server
