#include "server/embedded_files.h"

namespace likeness::server {

std::optional<std::string_view> FindEmbeddedFile(std::string_view name) {
  for (size_t i = 0; i < kEmbeddedFileCount; ++i) {
    if (name == kEmbeddedFiles[i].name) {
      return std::string_view(reinterpret_cast<const char*>(kEmbeddedFiles[i].data),
                              kEmbeddedFiles[i].size);
    }
  }
  return std::nullopt;
}

std::string_view ContentTypeFor(std::string_view name) {
  const auto ends = [&](std::string_view ext) { return name.ends_with(ext); };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".json")) return "application/json";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".ico")) return "image/x-icon";
  if (ends(".txt")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

}  // namespace likeness::server
