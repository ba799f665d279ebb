// The route table: method, path pattern, the roles admitted, and the handler. It is the single list
// the server dispatches from, the auth layer checks against, the metrics label by, and the
// OpenAPI test compares with the published document.
//
// Patterns are OpenAPI-style paths ("/api/v1/sources/{id}"). A "{id}" segment matches 1-18 decimal
// digits; any other "{name}" segment matches 1-128 characters of [A-Za-z0-9._-]. Literal segments
// match exactly. Handlers receive the parameters in order.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "server/api_keys.h"
#include "server/reply.h"
#include "server/roles.h"

namespace httplib {
struct Request;
}

namespace likeness::server {

struct Services;

// One request as a handler sees it.
struct Call {
  const httplib::Request& http;
  const ApiKeyInfo* caller = nullptr;  // null on public routes
  std::vector<std::string> params;     // path parameters, in pattern order

  // The i-th parameter as an id (the pattern guarantees digits).
  int64_t Id(size_t i) const;
};

// A handler returns its reply, or a Status that the dispatcher turns into the JSON error reply.
// Handlers must not throw (the dispatcher still catches, logs and answers 500 if one does).
using Handler = std::function<Result<Reply>(Services&, const Call&)>;

enum class Access {
  kPublic,  // no key needed (health, the OpenAPI document, the web app's files)
  kRoles,   // a key whose role is in Route::roles
};

struct Route {
  std::string method;  // "GET" or "POST"
  std::string pattern;
  Access access = Access::kRoles;
  RoleSet roles;       // for kRoles
  bool in_api = true;  // described by the OpenAPI document (false for the web app's files)
  Handler handler;
};

class Router {
 public:
  // REQUIRES: the pattern is well formed and (method, pattern) is not already present.
  void Add(Route route);
  const std::vector<Route>& routes() const { return routes_; }

  struct MatchResult {
    const Route* route = nullptr;  // null when nothing matched
    std::vector<std::string> params;
    bool path_known = false;  // some route has this path with another method (for 405)
  };
  MatchResult Match(std::string_view method, std::string_view path) const;

 private:
  std::vector<Route> routes_;
};

// Splits "/a/b/c" into {"a","b","c"} (an empty path or "/" gives {}).
std::vector<std::string_view> SplitPath(std::string_view path);

}  // namespace likeness::server
