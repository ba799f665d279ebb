// The web app's files, from the copies embedded at build time.
#include "server/embedded_files.h"
#include "server/handlers.h"

namespace likeness::server {
namespace {

Result<Reply> Serve(std::string_view file) {
  auto bytes = FindEmbeddedFile("web/" + std::string(file));
  if (!bytes) return Status::NotFound("no such file");
  Reply r = Reply::Bytes(std::string(ContentTypeFor(file)), std::string(*bytes));
  r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

}  // namespace

Result<Reply> HandleWebIndex(Services&, const Call&) { return Serve("index.html"); }

Result<Reply> HandleWebAsset(Services&, const Call& call) { return Serve(call.params.at(0)); }

// Browsers ask for /favicon.ico on every page; the icon is an SVG (served with its own type).
Result<Reply> HandleFavicon(Services&, const Call&) { return Serve("favicon.svg"); }

}  // namespace likeness::server
