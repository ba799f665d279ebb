#include "openset_cli.h"

#include <chrono>
#include <ctime>

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
  std::vector<openset::GalleryFace> faces;
  RETURN_IF_ERROR(
      catalog.ForEachEmbedding([&](int64_t id, bool searchable, std::span<const float> embedding) {
        if (searchable) faces.push_back({id, 0, 0, {embedding.begin(), embedding.end()}});
        return true;
      }));
  std::vector<int64_t> ids;
  for (const auto& f : faces) ids.push_back(f.id);
  ASSIGN_OR_RETURN(auto prov, catalog.GetFacesWithProvenance(ids));
  if (prov.size() != faces.size())
    return Status::FailedPrecondition("the catalog changed while it was read; run again");
  for (size_t i = 0; i < faces.size(); ++i) faces[i].image_id = prov[i].face.image_id;
  return faces;
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
