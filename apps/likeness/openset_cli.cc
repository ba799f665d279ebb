#include "openset_cli.h"

#include <chrono>
#include <ctime>

#include "engine/decision.h"
#include "openset/people_clustering.h"

namespace likeness::cli {
namespace fs = std::filesystem;

Result<std::unique_ptr<catalog::Catalog>> OpenCatalogOnly(const GlobalFlags& flags) {
  const fs::path data = engine::ResolveDataDir(flags.data_dir);
  const fs::path db = data / "catalog.db";
  if (!fs::exists(db))
    return Status::NotFound("no catalog in " + data.string() + " (run likeness ingest first)");
  // Sealed embeddings need the key store, as the engine opens it.
  ASSIGN_OR_RETURN(engine::SealedCatalog sealed, engine::OpenSealedCatalog(data));
  return std::move(sealed.catalog);
}

Result<std::vector<openset::GalleryFace>> LoadGallery(catalog::Catalog& catalog) {
  return openset::LoadGallery(catalog);
}

std::string UtcNowIso() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace likeness::cli
