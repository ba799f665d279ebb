#include "server/router.h"

#include <cassert>
#include <charconv>

namespace likeness::server {
namespace {

constexpr size_t kMaxIdDigits = 18;
constexpr size_t kMaxNameParam = 128;

bool IsParam(std::string_view seg) {
  return seg.size() > 2 && seg.front() == '{' && seg.back() == '}';
}

bool MatchParam(std::string_view param, std::string_view value) {
  if (value.empty()) return false;
  if (param == "{id}") {
    if (value.size() > kMaxIdDigits) return false;
    for (char c : value) {
      if (c < '0' || c > '9') return false;
    }
    return true;
  }
  if (value.size() > kMaxNameParam) return false;
  for (char c : value) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return value != "." && value != "..";
}

bool MatchPattern(std::string_view pattern, std::string_view path,
                  std::vector<std::string>* params) {
  const auto want = SplitPath(pattern);
  const auto got = SplitPath(path);
  if (want.size() != got.size()) return false;
  // A trailing slash is a different path ("/api/v1/sources/" is not "/api/v1/sources").
  if (path.size() > 1 && path.back() == '/') return false;
  std::vector<std::string> found;
  for (size_t i = 0; i < want.size(); ++i) {
    if (IsParam(want[i])) {
      if (!MatchParam(want[i], got[i])) return false;
      found.emplace_back(got[i]);
    } else if (want[i] != got[i]) {
      return false;
    }
  }
  *params = std::move(found);
  return true;
}

}  // namespace

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    const size_t end = path.find('/', i);
    const size_t stop = end == std::string_view::npos ? path.size() : end;
    out.push_back(path.substr(i, stop - i));
    i = stop;
  }
  return out;
}

int64_t Call::Id(size_t i) const {
  int64_t v = 0;
  const std::string& s = params.at(i);
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

void Router::Add(Route route) {
  assert(!route.pattern.empty() && route.pattern.front() == '/');
  for ([[maybe_unused]] const Route& r : routes_) {
    assert(!(r.method == route.method && r.pattern == route.pattern) && "duplicate route");
  }
  routes_.push_back(std::move(route));
}

Router::MatchResult Router::Match(std::string_view method, std::string_view path) const {
  MatchResult result;
  std::vector<std::string> params;
  for (const Route& r : routes_) {
    if (!MatchPattern(r.pattern, path, &params)) continue;
    if (r.method == method || (method == "HEAD" && r.method == "GET")) {
      result.route = &r;
      result.params = std::move(params);
      return result;
    }
    result.path_known = true;
  }
  return result;
}

}  // namespace likeness::server
