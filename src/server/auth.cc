#include "server/auth.h"

#include <httplib.h>

#include <cmath>

#include "server/client_address.h"

namespace likeness::server {
namespace {

Reply Unauthenticated(std::string_view message) {
  Reply r = Reply::Error(401, "unauthenticated", message);
  r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"likeness\"");
  return r;
}

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<std::string> BearerToken(const httplib::Request& request) {
  if (!request.has_header("Authorization")) return std::nullopt;
  const std::string value = request.get_header_value("Authorization");
  const size_t space = value.find(' ');
  if (space == std::string::npos || !IEquals(std::string_view(value).substr(0, space), "bearer")) {
    return std::nullopt;
  }
  const size_t start = value.find_first_not_of(' ', space);
  if (start == std::string::npos) return std::nullopt;
  const size_t end = value.find_last_not_of(' ');
  return value.substr(start, end - start + 1);
}

std::optional<Reply> Gate::Limit(const std::string& bucket, const BucketSpec& spec,
                                 std::string_view scope) {
  const auto wait = limiter_.Take(bucket, spec);
  if (!wait) return std::nullopt;
  metrics_.AddRateLimited(scope);
  Reply r = Reply::Error(429, "rate_limited", "too many requests; slow down and retry later");
  r.headers.emplace_back("Retry-After", std::to_string(static_cast<int64_t>(std::ceil(*wait))));
  return r;
}

std::optional<Reply> Gate::Admit(const Route& route, const httplib::Request& request) {
  // An IPv6 /64 is one address; X-Forwarded-For counts only from a trusted proxy.
  const std::string addr = ClientBucket(request, options_.trusted_proxies);
  if (auto refused = Limit("addr:" + addr, options_.per_address, "address")) return refused;
  if (route.access == Access::kPublic) return std::nullopt;

  const std::string fail_bucket = "authfail:" + addr;
  if (auto wait = limiter_.Peek(fail_bucket, options_.auth_failures_per_address)) {
    metrics_.AddRateLimited("auth");
    Reply r = Reply::Error(429, "rate_limited",
                           "too many failed authentications from this address; retry later");
    r.headers.emplace_back("Retry-After", std::to_string(static_cast<int64_t>(std::ceil(*wait))));
    return r;
  }
  auto identity = Identify(route, request);
  if (auto* refusal = std::get_if<Reply>(&identity)) {
    // Only a presented key that fails counts as a guess; a request without one does not.
    if (refusal->status == 401 && BearerToken(request)) {
      (void)limiter_.Take(fail_bucket, options_.auth_failures_per_address);
    }
    return std::move(*refusal);
  }
  const ApiKeyInfo& key = std::get<ApiKeyInfo>(identity);
  if (key.role == Role::kSelfCheck) {
    if (auto refused = Limit("key:" + key.name, options_.selfcheck_per_key, "key")) return refused;
    return Limit("selfcheck-addr:" + addr, options_.selfcheck_per_address, "address");
  }
  return Limit("key:" + key.name, options_.per_key, "key");
}

std::variant<ApiKeyInfo, Reply> Gate::Identify(const Route& route,
                                               const httplib::Request& request) {
  const auto token = BearerToken(request);
  if (!token) return Unauthenticated("an API key is required: Authorization: Bearer <key>");
  auto key = keys_.Authenticate(*token);
  if (!key.ok()) {
    if (key.status().code() == StatusCode::kPermissionDenied) {
      return Unauthenticated("the API key is not valid (unknown or revoked)");
    }
    return Reply::FromStatus(key.status());
  }
  // An attended kiosk key works only from the terminal holding its device secret.
  if (Status device = keys_.CheckDevice(*key, request.get_header_value("X-Likeness-Device"));
      !device.ok()) {
    if (device.code() == StatusCode::kPermissionDenied) return Unauthenticated(device.message());
    return Reply::FromStatus(device);
  }
  if (!route.roles.Contains(key->role)) {
    return Reply::Error(403, "permission_denied",
                        "the role '" + std::string(RoleName(key->role)) +
                            "' may not use this route (allowed: " + route.roles.ToString() + ")");
  }
  return std::move(*key);
}

}  // namespace likeness::server
