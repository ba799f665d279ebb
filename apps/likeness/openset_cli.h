// Shared pieces of the open-set commands (calibrate, people, report demographics): the catalog
// opened without models, and its searchable faces as an in-memory gallery.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "cli_common.h"
#include "openset/calibration.h"

namespace likeness::cli {

// <data>/catalog.db opened with its key store (engine::OpenSealedCatalog), so sealed embeddings
// read; NotFound when the data folder holds no catalog yet (nothing ingested).
Result<std::unique_ptr<catalog::Catalog>> OpenCatalogOnly(const GlobalFlags& flags);

// Every searchable face with its embedding and image id (faces below the quality floor are left
// out, as search leaves them out).
Result<std::vector<openset::GalleryFace>> LoadGallery(catalog::Catalog& catalog);

// ISO 8601 UTC, seconds.
std::string UtcNowIso();

}  // namespace likeness::cli
