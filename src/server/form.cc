#include "server/form.h"

#include <httplib.h>

#include <charconv>
#include <cmath>

namespace likeness::server {
namespace {

constexpr size_t kMaxDisplayName = 200;
constexpr int kMaxJsonDepth = 8;

std::string Quoted(std::string_view name) { return "'" + std::string(name) + "'"; }

const httplib::MultipartFormData* Find(const httplib::Request& req, std::string_view name,
                                       int* count) {
  const httplib::MultipartFormData* found = nullptr;
  *count = 0;
  auto [lo, hi] = req.files.equal_range(std::string(name));
  for (auto it = lo; it != hi; ++it) {
    found = &it->second;
    ++*count;
  }
  return found;
}

// Length of the UTF-8 sequence starting at s[i] if valid (and not overlong or a surrogate), else 0.
size_t Utf8Length(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t n = 0;
  uint32_t cp = 0;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

}  // namespace

bool IsCleanText(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t') || c == 0x7F) return false;
    const size_t n = Utf8Length(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string DisplayName(std::string_view client_name) {
  const size_t slash = client_name.find_last_of("/\\");
  if (slash != std::string_view::npos) client_name.remove_prefix(slash + 1);
  std::string out;
  for (size_t i = 0; i < client_name.size() && out.size() < kMaxDisplayName;) {
    const unsigned char c = static_cast<unsigned char>(client_name[i]);
    const size_t n = Utf8Length(client_name, i);
    if (n == 0) {
      ++i;
      continue;
    }
    if (!((c < 0x20) || c == 0x7F)) out.append(client_name.substr(i, n));
    i += n;
  }
  if (out.empty() || out == "." || out == "..") out = "upload";
  return out;
}

Result<Form> Form::Of(const httplib::Request& request) {
  if (!request.is_multipart_form_data()) {
    return Status::InvalidArgument("expected a multipart/form-data body");
  }
  return Form(request);
}

Result<std::string> Form::OptionalText(std::string_view name, size_t max_length) const {
  int count = 0;
  const auto* f = Find(*request_, name, &count);
  if (f == nullptr) return std::string();
  if (count > 1) return Status::InvalidArgument("field " + Quoted(name) + " is given twice");
  if (!f->filename.empty()) {
    return Status::InvalidArgument("field " + Quoted(name) + " must be text, not a file");
  }
  if (f->content.size() > max_length) {
    return Status::InvalidArgument("field " + Quoted(name) + " is longer than " +
                                   std::to_string(max_length) + " bytes");
  }
  if (!IsCleanText(f->content)) {
    return Status::InvalidArgument("field " + Quoted(name) +
                                   " must be UTF-8 text without control characters");
  }
  return f->content;
}

Result<std::string> Form::Text(std::string_view name, size_t max_length) const {
  ASSIGN_OR_RETURN(std::string value, OptionalText(name, max_length));
  if (value.find_first_not_of(" \t") == std::string::npos) {
    return Status::InvalidArgument("field " + Quoted(name) + " is required");
  }
  return value;
}

Result<int> Form::Int(std::string_view name, int fallback, int lo, int hi) const {
  ASSIGN_OR_RETURN(std::string text, OptionalText(name, 32));
  if (text.empty()) return fallback;
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < lo || v > hi) {
    return Status::InvalidArgument("field " + Quoted(name) + " must be an integer from " +
                                   std::to_string(lo) + " to " + std::to_string(hi));
  }
  return v;
}

Result<float> Form::Float(std::string_view name, float fallback, float lo, float hi) const {
  ASSIGN_OR_RETURN(std::string text, OptionalText(name, 32));
  if (text.empty()) return fallback;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(v) || v < lo || v > hi) {
    return Status::InvalidArgument("field " + Quoted(name) + " must be a number from " +
                                   std::to_string(lo) + " to " + std::to_string(hi));
  }
  return static_cast<float>(v);
}

Result<bool> Form::Bool(std::string_view name, bool fallback) const {
  ASSIGN_OR_RETURN(std::string text, OptionalText(name, 8));
  if (text.empty()) return fallback;
  if (text == "true" || text == "1" || text == "on") return true;
  if (text == "false" || text == "0" || text == "off") return false;
  return Status::InvalidArgument("field " + Quoted(name) + " must be true or false");
}

Result<const httplib::MultipartFormData*> Form::File(std::string_view name) const {
  int count = 0;
  const auto* f = Find(*request_, name, &count);
  if (f == nullptr) return Status::InvalidArgument("file field " + Quoted(name) + " is required");
  if (count > 1) return Status::InvalidArgument("file field " + Quoted(name) + " is given twice");
  if (f->content.empty()) return Status::InvalidArgument("file " + Quoted(name) + " is empty");
  return f;
}

std::vector<const httplib::MultipartFormData*> Form::Files(std::string_view name) const {
  std::vector<const httplib::MultipartFormData*> out;
  auto [lo, hi] = request_->files.equal_range(std::string(name));
  for (auto it = lo; it != hi; ++it) out.push_back(&it->second);
  return out;
}

Result<nlohmann::json> JsonObjectBody(const httplib::Request& request, size_t max_bytes) {
  const std::string type = request.get_header_value("Content-Type");
  if (type.rfind("application/json", 0) != 0) {
    return Status::InvalidArgument("expected an application/json body");
  }
  if (request.body.size() > max_bytes) {
    return Status::ResourceExhausted("the JSON body is larger than " + std::to_string(max_bytes) +
                                     " bytes");
  }
  // Reject deep nesting before building anything (a JSON bomb of brackets).
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : request.body) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    if (c == '{' || c == '[') {
      if (++depth > kMaxJsonDepth) return Status::InvalidArgument("the JSON body nests too deeply");
    }
    if (c == '}' || c == ']') --depth;
  }
  nlohmann::json j = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument("the body is not valid JSON");
  if (!j.is_object()) return Status::InvalidArgument("the JSON body must be an object");
  return j;
}

Result<std::string> JsonText(const nlohmann::json& object, std::string_view key, bool required,
                             size_t max_length) {
  const auto it = object.find(std::string(key));
  if (it == object.end() || it->is_null()) {
    if (required) return Status::InvalidArgument("field " + Quoted(key) + " is required");
    return std::string();
  }
  if (!it->is_string())
    return Status::InvalidArgument("field " + Quoted(key) + " must be a string");
  std::string value = it->get<std::string>();
  if (value.size() > max_length) {
    return Status::InvalidArgument("field " + Quoted(key) + " is longer than " +
                                   std::to_string(max_length) + " bytes");
  }
  if (!IsCleanText(value)) {
    return Status::InvalidArgument("field " + Quoted(key) +
                                   " must be text without control characters");
  }
  if (required && value.find_first_not_of(" \t") == std::string::npos) {
    return Status::InvalidArgument("field " + Quoted(key) + " is required");
  }
  return value;
}

}  // namespace likeness::server
