// GET /api/v1/sources/{id}/batches: a source's ingest batches (newest first) with their counts and
// recorded errors, for the Sources screen.
//
// What it reveals, and to whom: when and how much was ingested into a source, and which files
// failed and why. Admins, ingest operators, auditors and privacy officers of the tenant that OWNS
// the source (a tenant the source is only shared with reads its faces, not the owner's ingest
// history: 403); another tenant's source answers 404 like an id nobody holds; a search key is
// refused by the route (403). Error paths are cut to the file name: a folder ingest's full path
// would describe the server's file system.
#include <httplib.h>

#include "server/handlers.h"
#include "server/tenant_scope.h"

namespace likeness::server {
namespace {

constexpr int64_t kMaxBatches = 100;
constexpr int64_t kMaxErrorsPerBatch = 20;

// "upload:photo.jpg" -> "photo.jpg"; "/srv/photos/a/b.jpg" -> "b.jpg"; "x.zip!in/c.jpg" -> "c.jpg".
std::string FileNameOf(const std::string& path) {
  const size_t cut = path.find_last_of("/\\:!");
  return cut == std::string::npos ? path : path.substr(cut + 1);
}

}  // namespace

Result<Reply> HandleSourceBatches(Services& s, const Call& call) {
  ASSIGN_OR_RETURN(TenantScope scope, ScopeOf(s, call));
  ASSIGN_OR_RETURN(catalog::SourceRecord source, VisibleSource(s, scope, call.Id(0)));
  if (!scope.Owns(source.id)) {
    return Status::PermissionDenied("source " + std::to_string(source.id) +
                                    " is shared with this tenant: its ingest history is the "
                                    "owner's");
  }
  auto& catalog = s.engine.catalog();
  ASSIGN_OR_RETURN(std::vector<catalog::BatchRecord> batches,
                   catalog.ListBatches(source.id, kMaxBatches));
  nlohmann::json list = nlohmann::json::array();
  for (const auto& b : batches) {
    nlohmann::json errors = nlohmann::json::array();
    if (b.errors > 0 || b.finished_at.empty()) {
      ASSIGN_OR_RETURN(auto recorded, catalog.ListIngestErrors(b.id, kMaxErrorsPerBatch));
      for (const auto& e : recorded) {
        errors.push_back({{"file", FileNameOf(e.path)}, {"message", e.message}, {"at", e.at}});
      }
    }
    list.push_back({{"id", b.id},
                    {"started_at", b.started_at},
                    {"finished_at", b.finished_at},
                    {"images", b.images},
                    {"faces", b.faces},
                    {"errors", b.errors},
                    {"skipped", b.skipped},
                    {"error_list", std::move(errors)},
                    {"audit_url", "/api/v1/audit?batch_id=" + std::to_string(b.id)}});
  }
  return Reply::Json({{"source_id", source.id},
                      {"source", source.name},
                      {"batches", std::move(list)},
                      {"limit", kMaxBatches}});
}

}  // namespace likeness::server
