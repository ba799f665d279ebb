#include "server/metrics.h"

#include <sstream>

namespace likeness::server {
namespace {

// Label values are route patterns and methods we chose, but escape anyway (\, ", newline).
std::string Escape(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void Header(std::ostringstream& out, std::string_view name, std::string_view type,
            std::string_view help) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

}  // namespace

void Metrics::ObserveRequest(std::string_view method, std::string_view route, int status,
                             double seconds) {
  std::lock_guard lock(mu_);
  ++requests_[{std::string(method), std::string(route), status}];
  Histogram& h = latency_[{std::string(method), std::string(route)}];
  for (size_t i = 0; i < std::size(kBuckets); ++i) {
    if (seconds <= kBuckets[i]) ++h.counts[i];
  }
  ++h.count;
  h.sum += seconds;
}

void Metrics::AddIngest(int64_t images, int64_t faces, int64_t skipped, int64_t errors) {
  std::lock_guard lock(mu_);
  ingest_images_ += images;
  ingest_faces_ += faces;
  ingest_skipped_ += skipped;
  ingest_errors_ += errors;
}

void Metrics::AddRateLimited(std::string_view scope) {
  std::lock_guard lock(mu_);
  ++rate_limited_[std::string(scope)];
}

std::string Metrics::Render(const MetricsGauges& g) const {
  std::ostringstream out;
  out.precision(9);
  std::lock_guard lock(mu_);
  Header(out, "likeness_http_requests_total", "counter", "HTTP requests by method, route, status.");
  for (const auto& [k, n] : requests_) {
    out << "likeness_http_requests_total{method=\"" << Escape(std::get<0>(k)) << "\",route=\""
        << Escape(std::get<1>(k)) << "\",status=\"" << std::get<2>(k) << "\"} " << n << '\n';
  }
  Header(out, "likeness_http_request_duration_seconds", "histogram",
         "Time from routing to the response being ready, by method and route.");
  for (const auto& [k, h] : latency_) {
    const std::string labels =
        "method=\"" + Escape(k.first) + "\",route=\"" + Escape(k.second) + "\"";
    for (size_t i = 0; i < std::size(kBuckets); ++i) {
      out << "likeness_http_request_duration_seconds_bucket{" << labels << ",le=\"" << kBuckets[i]
          << "\"} " << h.counts[i] << '\n';
    }
    out << "likeness_http_request_duration_seconds_bucket{" << labels << ",le=\"+Inf\"} " << h.count
        << '\n';
    out << "likeness_http_request_duration_seconds_sum{" << labels << "} " << h.sum << '\n';
    out << "likeness_http_request_duration_seconds_count{" << labels << "} " << h.count << '\n';
  }
  Header(out, "likeness_rate_limited_total", "counter",
         "Requests refused with 429, by the limit that refused them.");
  for (const auto& [scope, n] : rate_limited_) {
    out << "likeness_rate_limited_total{scope=\"" << Escape(scope) << "\"} " << n << '\n';
  }
  Header(out, "likeness_ingest_images_total", "counter", "Images stored by uploads since start.");
  out << "likeness_ingest_images_total " << ingest_images_ << '\n';
  Header(out, "likeness_ingest_faces_total", "counter", "Faces stored by uploads since start.");
  out << "likeness_ingest_faces_total " << ingest_faces_ << '\n';
  Header(out, "likeness_ingest_skipped_total", "counter",
         "Uploaded images already held (same bytes), since start.");
  out << "likeness_ingest_skipped_total " << ingest_skipped_ << '\n';
  Header(out, "likeness_ingest_errors_total", "counter", "Uploaded files refused, since start.");
  out << "likeness_ingest_errors_total " << ingest_errors_ << '\n';
  Header(out, "likeness_faces_indexed", "gauge", "Face vectors in the search index.");
  out << "likeness_faces_indexed " << g.faces_indexed << '\n';
  Header(out, "likeness_catalog_faces", "gauge", "Faces in the catalog.");
  out << "likeness_catalog_faces " << g.catalog_faces << '\n';
  Header(out, "likeness_catalog_images", "gauge", "Images in the catalog.");
  out << "likeness_catalog_images " << g.catalog_images << '\n';
  Header(out, "likeness_catalog_sources", "gauge", "Declared sources.");
  out << "likeness_catalog_sources " << g.sources << '\n';
  Header(out, "likeness_http_requests_in_flight", "gauge", "Requests being handled now.");
  out << "likeness_http_requests_in_flight " << in_flight_.load() << '\n';
  return out.str();
}

}  // namespace likeness::server
