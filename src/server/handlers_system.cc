// Health, the OpenAPI document, the caller's identity, statistics and metrics.
#include "imageio/decode.h"
#include "server/embedded_files.h"
#include "server/handlers.h"
#include "server/tenant_scope.h"

namespace likeness::server {

Reply BusyReply() {
  Reply r = Reply::Error(503, "unavailable", "all face analyzers are busy; try again shortly");
  r.headers.emplace_back("Retry-After", "2");
  return r;
}

Status CheckImageHeader(const Services& s, std::span<const uint8_t> bytes) {
  ASSIGN_OR_RETURN(imageio::ImageHeader header, imageio::ReadHeader(bytes));
  const int64_t pixels = static_cast<int64_t>(header.width) * header.height;
  if (pixels > s.options.max_image_pixels) {
    return Status::ResourceExhausted(
        "the image is " + std::to_string(header.width) + "x" + std::to_string(header.height) +
        " pixels; this server accepts at most " + std::to_string(s.options.max_image_pixels));
  }
  return Status::Ok();
}

Result<Reply> HandleHealthz(Services& s, const Call&) {
  // Ready means the catalog answers; the engine (models, index) was loaded before listening.
  ASSIGN_OR_RETURN(uint64_t generation, s.engine.catalog().Generation());
  (void)generation;
  return Reply::Json({{"status", "ok"}});
}

Result<Reply> HandleOpenApi(Services&, const Call&) {
  auto doc = FindEmbeddedFile("api/openapi.json");
  if (!doc) return Status::Internal("the OpenAPI document was not embedded in this build");
  return Reply::Bytes("application/json", std::string(*doc));
}

Result<Reply> HandleWhoami(Services&, const Call& call) {
  const ApiKeyInfo& k = *call.caller;
  return Reply::Json({{"name", k.name},
                      {"role", RoleName(k.role)},
                      {"tenant", k.tenant},
                      {"created_at", k.created_at}});
}

Result<Reply> HandleStats(Services& s, const Call& call) {
  // Counts over the sources the caller's tenant sees (its own and those shared to it).
  ASSIGN_OR_RETURN(TenantScope scope, ScopeOf(s, call));
  ASSIGN_OR_RETURN(catalog::CatalogStats st, s.engine.catalog().StatsOfSources(scope.visible));
  return Reply::Json(
      {{"sources", st.sources},
       {"images", st.images},
       {"faces", st.faces},
       {"searchable_faces", st.searchable_faces},
       {"batches", st.batches},
       {"ingest_errors", st.errors},
       {"model_id", st.model_id},
       {"schema_version", st.schema_version},
       {"tenant", scope.tenant},
       {"index", {{"kind", s.engine.index().factory()}, {"vectors", st.searchable_faces}}}});
}

Result<Reply> HandleMetrics(Services& s, const Call& call) {
  RETURN_IF_ERROR(RequireOperatorTenant(call, "process metrics"));
  ASSIGN_OR_RETURN(catalog::CatalogStats st, s.engine.catalog().Stats());
  MetricsGauges g;
  g.faces_indexed = static_cast<int64_t>(s.engine.index().size());
  g.catalog_images = st.images;
  g.catalog_faces = st.faces;
  g.sources = st.sources;
  return Reply::Bytes("text/plain; version=0.0.4; charset=utf-8", s.metrics.Render(g));
}

}  // namespace likeness::server
