// Migrates a catalog to the engine's embedding model: re-reads each image from its recorded path,
// checks the bytes still hash to the stored content hash, and re-embeds every face from its stored
// five points (no re-detection, so face ids and boxes stay). The catalog's model switches when
// every face is done; the index is rebuilt.
#pragma once

#include <string>
#include <vector>

#include "engine/engine.h"

namespace likeness::engine {

struct ReembedReport {
  std::string model_id;
  int64_t faces_updated = 0;
  int64_t faces_already_current = 0;
  std::vector<std::string> unreachable;  // image paths missing or changed since ingest
};

// REQUIRES: engine opened with EngineOptions::allow_model_migration.
Result<ReembedReport> Reembed(Engine& engine, const ProgressFn& progress = {});

}  // namespace likeness::engine
