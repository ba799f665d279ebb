// Files compiled into the binary at build time (src/server/embed_files.cmake): the web app
// (web/..., named "web/<file>") and the OpenAPI document ("api/openapi.json"). Serving them from
// memory means the server needs no install layout and cannot be tricked into reading other files.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace likeness::server {

struct EmbeddedFile {
  const char* name;
  const unsigned char* data;  // followed by a NUL that is not counted in size
  size_t size;
};

extern const EmbeddedFile kEmbeddedFiles[];
extern const size_t kEmbeddedFileCount;

// The file's bytes, or nullopt when no file has that exact name.
std::optional<std::string_view> FindEmbeddedFile(std::string_view name);
// A Content-Type for a file name by its extension (html, js, css, json, svg, png, ico, txt);
// application/octet-stream otherwise.
std::string_view ContentTypeFor(std::string_view name);

}  // namespace likeness::server
