#include "catalog/catalog.h"

#include "catalog/embedding_codec.h"
#include "catalog/schema.h"
#include "catalog/sqlite_catalog.h"

namespace likeness::catalog {

std::string_view SourceKindName(SourceKind kind) {
  switch (kind) {
    case SourceKind::kFolder:
      return "folder";
    case SourceKind::kArchive:
      return "archive";
    case SourceKind::kManifest:
      return "manifest";
    case SourceKind::kUpload:
      return "upload";
  }
  return "unknown";  // unreachable for a valid enum value
}

Result<SourceKind> ParseSourceKind(std::string_view name) {
  for (SourceKind kind :
       {SourceKind::kFolder, SourceKind::kArchive, SourceKind::kManifest, SourceKind::kUpload}) {
    if (SourceKindName(kind) == name) return kind;
  }
  return Status::InvalidArgument("unknown source kind '" + std::string(name) +
                                 "' (expected folder, archive, manifest or upload)");
}

int LatestSchemaVersion() { return static_cast<int>(CatalogMigrations().size()); }

Result<std::unique_ptr<Catalog>> Catalog::Open(const std::filesystem::path& db_path) {
  return SqliteCatalog::Open(db_path);
}

Result<std::unique_ptr<Catalog>> OpenCatalog(const std::filesystem::path& db_path,
                                             std::shared_ptr<EmbeddingCodec> codec) {
  return SqliteCatalog::Open(db_path, std::move(codec));
}

}  // namespace likeness::catalog
