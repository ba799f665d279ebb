// The Likeness engine: one data folder (catalog.db + index/) and the face pipeline over it.
//
// The facade the CLI and the server use. It owns the catalog (source of truth) and the vector index
// (derived: loaded from disk when its generation matches the catalog, otherwise rebuilt from it).
// Thread safety: all methods may be called from several threads.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "catalog/catalog.h"
#include "imageio/decode.h"
#include "index/vector_index.h"
#include "likeness/status.h"
#include "vision/face_analyzer.h"

namespace likeness::engine {

inline constexpr std::string_view kDefaultIndexKind = "Flat";
inline constexpr uint64_t kTrainingSampleSeed = 0x5eed;

struct EngineOptions {
  std::filesystem::path data_dir = "likeness-data";  // from --data or LIKENESS_DATA
  std::filesystem::path model_dir;                   // empty: vision::DefaultModelDir()
  // Empty: the kind configured in the catalog (`likeness index set`), else "Flat" (exact). E.g.
  // "HNSW32", "IVF4096,PQ64,rerank=fp16" (see index/vector_index.h).
  std::string index_factory;
  vision::AnalyzeOptions analyze;
  // Faces whose quality is below this are stored but not put in the search index.
  float quality_floor = vision::kDefaultSearchableQualityFloor;
  imageio::DecodeOptions decode = {.max_pixels = 100'000'000, .reduce_above_side = 2400};
  uint64_t max_file_bytes = 256ull << 20;
  // Open even when the catalog holds another model's embeddings (only `reembed` sets this).
  // Otherwise the engine follows the catalog's model variant (flip TTA on or off) and refuses a
  // foreign model.
  bool allow_model_migration = false;
};

class IngestPolicy;  // ingest.h

// Reports progress of long work (rebuilds): done of total.
using ProgressFn = std::function<void(int64_t done, int64_t total)>;

class Engine {
 public:
  // Opens (creating if needed) the data folder, verifies the models, opens the catalog and loads or
  // rebuilds the index. Errors from the catalog, model verification or index rebuild.
  static Result<std::unique_ptr<Engine>> Open(const EngineOptions& options,
                                              const ProgressFn& rebuild_progress = {});
  ~Engine();

  const EngineOptions& options() const { return options_; }
  catalog::Catalog& catalog() { return *catalog_; }
  index::VectorIndex& index() { return *index_; }
  const vision::VerifiedModels& models() const { return models_; }
  // The model id stamped on embeddings this engine makes (includes "+flip" with flip TTA).
  std::string embedding_model_id() const;

  // A new analyzer (one per worker thread).
  Result<std::unique_ptr<vision::FaceAnalyzer>> NewAnalyzer() const;

  // Adds searchable faces to the in-memory index (after the catalog committed them).
  Status IndexFaces(const std::vector<catalog::FaceRecord>& faces);
  // Removes faces from the index (after the catalog deleted them).
  Status UnindexFaces(std::span<const int64_t> face_ids);
  // Writes the index with the catalog's current generation (atomic).
  Status SaveIndex();
  // Rebuilds the index from the catalog (physically dropping anything not in it) and saves it.
  Status RebuildIndex(const ProgressFn& progress = {});
  std::filesystem::path index_path() const;

  // The policy every Ingest on this engine obeys (null: none). Install it before ingesting; the
  // engine shares ownership.
  void set_ingest_policy(std::shared_ptr<IngestPolicy> policy) {
    ingest_policy_ = std::move(policy);
  }
  IngestPolicy* ingest_policy() const { return ingest_policy_.get(); }

 private:
  Engine() = default;
  Status LoadOrRebuildIndex(const ProgressFn& progress);
  Status TrainFromSample(index::VectorIndex& fresh);

  EngineOptions options_;
  vision::VerifiedModels models_;
  std::unique_ptr<catalog::Catalog> catalog_;
  std::unique_ptr<index::VectorIndex> index_;
  std::mutex index_write_mu_;  // serialises Save/Rebuild against each other
  std::shared_ptr<IngestPolicy> ingest_policy_;
};

// Reads and decodes an image file with the engine's limits. Errors name the file.
Result<imageio::DecodedImage> LoadImageFile(const std::filesystem::path& path,
                                            const EngineOptions& options,
                                            std::vector<uint8_t>* bytes_out = nullptr);

// The data folder from --data, else LIKENESS_DATA, else ./likeness-data.
std::filesystem::path ResolveDataDir(const std::string& flag_value);

}  // namespace likeness::engine
