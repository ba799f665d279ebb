#include "server/client_address.h"

#include <arpa/inet.h>
#include <httplib.h>

#include <algorithm>
#include <cstdio>

namespace likeness::server {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "[2001:db8::1]:443" or "1.2.3.4:80" -> the address alone (X-Forwarded-For may carry ports).
std::string StripPort(std::string_view s) {
  if (!s.empty() && s.front() == '[') {
    const size_t close = s.find(']');
    return std::string(close == std::string_view::npos ? s.substr(1) : s.substr(1, close - 1));
  }
  if (std::count(s.begin(), s.end(), ':') == 1) return std::string(s.substr(0, s.find(':')));
  return std::string(s);
}

bool IsTrusted(std::string_view address, const std::vector<std::string>& trusted) {
  for (const auto& t : trusted) {
    in6_addr x{}, y{};
    const std::string as(StripPort(address)), ts(t);
    if (inet_pton(AF_INET6, as.c_str(), &x) == 1 && inet_pton(AF_INET6, ts.c_str(), &y) == 1) {
      if (std::equal(x.s6_addr, x.s6_addr + 16, y.s6_addr)) return true;
      continue;
    }
    if (as == ts) return true;
  }
  return false;
}

}  // namespace

std::string AddressBucket(std::string_view raw) {
  const std::string address = StripPort(Trim(raw));
  in_addr v4{};
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1) {
    char out[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &v4, out, sizeof out);
    return std::string("v4:") + out;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, address.c_str(), &v6) == 1) {
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(kMapped, kMapped + 12, v6.s6_addr)) {
      char out[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, v6.s6_addr + 12, out, sizeof out);
      return std::string("v4:") + out;
    }
    char out[48];
    std::snprintf(out, sizeof out, "v6:%02x%02x:%02x%02x:%02x%02x:%02x%02x::/64", v6.s6_addr[0],
                  v6.s6_addr[1], v6.s6_addr[2], v6.s6_addr[3], v6.s6_addr[4], v6.s6_addr[5],
                  v6.s6_addr[6], v6.s6_addr[7]);
    return out;
  }
  return "other:" + address.substr(0, 64);
}

std::string ClientAddress(const httplib::Request& request,
                          const std::vector<std::string>& trusted_proxies) {
  const std::string& peer = request.remote_addr;
  if (trusted_proxies.empty() || !IsTrusted(peer, trusted_proxies) ||
      !request.has_header("X-Forwarded-For")) {
    return peer;
  }
  // Every X-Forwarded-For header, in order, as one list; walk it from the right past our own
  // trusted proxies. Entries left of the first untrusted one were written by the client itself.
  std::vector<std::string> hops;
  const size_t n = request.get_header_value_count("X-Forwarded-For");
  for (size_t i = 0; i < n; ++i) {
    const std::string value = request.get_header_value("X-Forwarded-For", i);
    size_t start = 0;
    while (start <= value.size()) {
      const size_t comma = value.find(',', start);
      const std::string_view item = Trim(std::string_view(value).substr(
          start, comma == std::string::npos ? std::string::npos : comma - start));
      if (!item.empty()) hops.emplace_back(item);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    if (!IsTrusted(*it, trusted_proxies)) return StripPort(*it);
  }
  return hops.empty() ? peer : StripPort(hops.front());
}

std::string ClientBucket(const httplib::Request& request,
                         const std::vector<std::string>& trusted_proxies) {
  return AddressBucket(ClientAddress(request, trusted_proxies));
}

}  // namespace likeness::server
