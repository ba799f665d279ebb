// Status and Result<T>: the error currency of every Likeness module.
//
// A Status is cheap to copy and carries a code plus a human-readable message. Fallible functions
// return
// [[nodiscard]] Status or Result<T>; exceptions never cross a module boundary (adapters around
// OpenCV, FAISS, SQLite and JSON catch and convert them).
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace likeness {

// Stable codes. They map one-to-one to CLI exit codes and HTTP statuses (see docs/API.md).
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // the caller's input is malformed (bad flag, bad date, bad image bytes)
  kNotFound,            // a named thing does not exist
  kAlreadyExists,       // a unique thing already exists
  kFailedPrecondition,  // the system is not in a state to do this (e.g. model mismatch, blocked
                        // jurisdiction)
  kPermissionDenied,    // the caller may not do this
  kResourceExhausted,   // a limit was hit (pixel limit, body size, rate limit)
  kCorruption,          // stored data failed an integrity check
  kIOError,             // the file system or database failed
  kUnsupported,         // a format or feature this build does not handle
  kInternal,            // a bug: a condition no input should reach
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status FailedPrecondition(std::string m) {
    return {StatusCode::kFailedPrecondition, std::move(m)};
  }
  static Status PermissionDenied(std::string m) {
    return {StatusCode::kPermissionDenied, std::move(m)};
  }
  static Status ResourceExhausted(std::string m) {
    return {StatusCode::kResourceExhausted, std::move(m)};
  }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status IOError(std::string m) { return {StatusCode::kIOError, std::move(m)}; }
  static Status Unsupported(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "InvalidArgument: message" (or "OK").
  std::string ToString() const;
  // Returns a copy whose message is prefixed with `context: `.
  Status WithContext(std::string_view context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Holds either a value or a non-OK Status. REQUIRES: value() only when ok().
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : data_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(data_).ok() && "Result built from an OK status has no value");
  }

  bool ok() const { return std::holds_alternative<T>(data_); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(data_); }
  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace likeness

#define LIKENESS_CONCAT_INNER(a, b) a##b
#define LIKENESS_CONCAT(a, b) LIKENESS_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function if `expr` is not OK.
#define RETURN_IF_ERROR(expr)                            \
  do {                                                   \
    ::likeness::Status likeness_status_ = (expr);        \
    if (!likeness_status_.ok()) return likeness_status_; \
  } while (0)

// ASSIGN_OR_RETURN(auto x, Fallible()): declares x from a Result or returns its Status.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(LIKENESS_CONCAT(likeness_result_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()
