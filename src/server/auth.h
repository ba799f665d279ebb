// Admission: who is calling (API key from "Authorization: Bearer <key>"), may their role use this
// route, and are they within their rate limits. Runs before the request body is read, so a
// refused request costs the server nothing more than its headers.
//
// Order: the client address's bucket (every request, public or not) -> for key-protected routes:
// the address's failed-authentication bucket (refuse with 429 while it is empty), the key (401 when
// missing, malformed, unknown or revoked; a presented key that fails takes a token from that
// bucket), the role (403), the key's bucket (429; the selfcheck role has its own smaller per-key
// and per-address buckets).
//
// Thread safety: as thread safe as the store, limiter and metrics it is given (all are).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "server/api_keys.h"
#include "server/metrics.h"
#include "server/options.h"
#include "server/rate_limit.h"
#include "server/reply.h"
#include "server/router.h"

namespace httplib {
struct Request;
}

namespace likeness::server {

// The token of "Authorization: Bearer <token>" (scheme case-insensitive); nullopt when the header
// is absent or uses another scheme.
std::optional<std::string> BearerToken(const httplib::Request& request);

class Gate {
 public:
  Gate(ApiKeyStore& keys, RateLimiter& limiter, Metrics& metrics, const ServerOptions& options)
      : keys_(keys), limiter_(limiter), metrics_(metrics), options_(options) {}

  // nullopt lets the request through; otherwise the refusal to send (401, 403, 429, 500).
  std::optional<Reply> Admit(const Route& route, const httplib::Request& request);

  // The caller of a key-protected route, checked again when its handler runs (a key revoked
  // between admission and dispatch is refused): the key, or the 401/403 reply.
  std::variant<ApiKeyInfo, Reply> Identify(const Route& route, const httplib::Request& request);

 private:
  std::optional<Reply> Limit(const std::string& bucket, const BucketSpec& spec,
                             std::string_view scope);

  ApiKeyStore& keys_;
  RateLimiter& limiter_;
  Metrics& metrics_;
  const ServerOptions& options_;
};

}  // namespace likeness::server
