#include "catalog/timestamp.h"

#include <ctime>

namespace likeness::catalog {

std::string FormatUtcTimestamp(std::chrono::system_clock::time_point t) {
  const std::time_t seconds =
      std::chrono::system_clock::to_time_t(std::chrono::time_point_cast<std::chrono::seconds>(t));
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  const size_t n = std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return std::string(buffer, n);
}

std::string UtcNowTimestamp() { return FormatUtcTimestamp(std::chrono::system_clock::now()); }

}  // namespace likeness::catalog
