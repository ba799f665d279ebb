// Reading request bodies: multipart/form-data fields and files (already parsed and size-limited by
// httplib), and small JSON objects. Every accessor validates what it returns, so handlers only see
// well-formed values: text fields are valid UTF-8 without control characters and within a length
// limit; files are non-empty.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "likeness/status.h"

namespace httplib {
struct Request;
struct MultipartFormData;
}  // namespace httplib

namespace likeness::server {

inline constexpr size_t kMaxFieldLength = 1000;

// True when `text` is valid UTF-8 and holds no control characters (tab allowed).
bool IsCleanText(std::string_view text);

// A file's name as the client gave it, made safe to echo back: the last path component only
// (after '/' or '\'), control characters dropped, at most 200 bytes, "upload" when nothing is left.
// Never used to name anything on disk.
std::string DisplayName(std::string_view client_name);

class Form {
 public:
  // InvalidArgument unless the request is multipart/form-data.
  static Result<Form> Of(const httplib::Request& request);

  // A required text field. InvalidArgument ("field 'purpose' is required") when absent or blank.
  Result<std::string> Text(std::string_view name, size_t max_length = kMaxFieldLength) const;
  // An optional text field ("" when absent).
  Result<std::string> OptionalText(std::string_view name,
                                   size_t max_length = kMaxFieldLength) const;
  // Optional numbers: `fallback` when absent; InvalidArgument when malformed or outside [lo, hi].
  Result<int> Int(std::string_view name, int fallback, int lo, int hi) const;
  Result<float> Float(std::string_view name, float fallback, float lo, float hi) const;
  // "true"/"1"/"on" or "false"/"0"/"off"; `fallback` when absent.
  Result<bool> Bool(std::string_view name, bool fallback) const;
  // The one file under `name`. InvalidArgument when absent, empty or repeated.
  Result<const httplib::MultipartFormData*> File(std::string_view name) const;
  // Every file under `name` (possibly none).
  std::vector<const httplib::MultipartFormData*> Files(std::string_view name) const;

 private:
  explicit Form(const httplib::Request& request) : request_(&request) {}
  const httplib::Request* request_;
};

// Parses a JSON object body. InvalidArgument for a wrong content type, malformed JSON, a
// non-object, or nesting deeper than 8 levels; ResourceExhausted above max_bytes.
Result<nlohmann::json> JsonObjectBody(const httplib::Request& request, size_t max_bytes);

// A string member of a JSON object: required or optional ("" when absent), validated as
// IsCleanText and at most max_length bytes.
Result<std::string> JsonText(const nlohmann::json& object, std::string_view key, bool required,
                             size_t max_length = kMaxFieldLength);

}  // namespace likeness::server
