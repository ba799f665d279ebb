#include "server/reply.h"

namespace likeness::server {

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kResourceExhausted:
      return 413;
    case StatusCode::kUnsupported:
      return 415;
    case StatusCode::kCorruption:
    case StatusCode::kIOError:
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

std::string_view ErrorCodeFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kInvalidArgument:
      return "invalid_argument";
    case StatusCode::kNotFound:
      return "not_found";
    case StatusCode::kAlreadyExists:
      return "already_exists";
    case StatusCode::kFailedPrecondition:
      return "failed_precondition";
    case StatusCode::kPermissionDenied:
      return "permission_denied";
    case StatusCode::kResourceExhausted:
      return "resource_exhausted";
    case StatusCode::kCorruption:
      return "corruption";
    case StatusCode::kIOError:
      return "io_error";
    case StatusCode::kUnsupported:
      return "unsupported";
    case StatusCode::kInternal:
      return "internal";
  }
  return "internal";
}

bool IsServerFault(StatusCode code) {
  return code == StatusCode::kCorruption || code == StatusCode::kIOError ||
         code == StatusCode::kInternal;
}

std::string ErrorJson(std::string_view code, std::string_view message) {
  nlohmann::json j = {{"error", {{"code", code}, {"message", message}}}};
  // Messages can carry bytes from the request (a file name, a field value): never fail on them.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Reply Reply::Json(const nlohmann::json& value, int status) {
  Reply r;
  r.status = status;
  r.body = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Reply Reply::Bytes(std::string content_type, std::string body) {
  Reply r;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

Reply Reply::Error(int status, std::string_view code, std::string_view message) {
  Reply r;
  r.status = status;
  r.body = ErrorJson(code, message);
  return r;
}

Reply Reply::FromStatus(const Status& status) {
  const StatusCode code = status.ok() ? StatusCode::kInternal : status.code();
  if (IsServerFault(code)) {
    Reply r = Error(HttpStatusFor(code), ErrorCodeFor(code),
                    "the server could not complete the request; the operator can find the cause "
                    "in the server log");
    r.log_detail = status.ToString();
    return r;
  }
  return Error(HttpStatusFor(code), ErrorCodeFor(code), status.message());
}

}  // namespace likeness::server
