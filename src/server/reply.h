// What a handler returns: an HTTP status, a content type, a body and extra headers. Errors are
// built from a Status through the one mapping in this file, so every error the API sends has the
// same shape: {"error":{"code":"<snake_case>","message":"<for the caller>"}}.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "likeness/status.h"

namespace likeness::server {

// The HTTP status for a Status code. InvalidArgument 400, NotFound 404, AlreadyExists and
// FailedPrecondition 409, PermissionDenied 403, ResourceExhausted 413, Unsupported 415;
// Corruption, IOError and Internal 500 (OK is 200).
int HttpStatusFor(StatusCode code);
// "invalid_argument", "not_found", ... ("ok" for kOk).
std::string_view ErrorCodeFor(StatusCode code);
// True for the codes whose message may name server internals (paths, SQL, library errors):
// Corruption, IOError, Internal. Their replies carry a generic message; the original is logged.
bool IsServerFault(StatusCode code);
// {"error":{"code":code,"message":message}}.
std::string ErrorJson(std::string_view code, std::string_view message);

struct Reply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Set for server faults: the original status, for the log (never sent).
  std::string log_detail;

  static Reply Json(const nlohmann::json& value, int status = 200);
  static Reply Bytes(std::string content_type, std::string body);
  // An error reply with an explicit HTTP status and code (401, 429, route-level 404/405...).
  static Reply Error(int status, std::string_view code, std::string_view message);
  // The error reply for a non-OK status (see HttpStatusFor; server faults get a generic message).
  static Reply FromStatus(const Status& status);
};

}  // namespace likeness::server
