// The Likeness engine: one data folder (catalog.db + index/) and the face pipeline over it.
//
// The facade the CLI and the server use. It owns the catalog (source of truth) and the vector index
// (derived: loaded from disk when its generation matches the catalog, otherwise rebuilt from it).
// Thread safety: all methods may be called from several threads.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "catalog/catalog.h"
#include "engine/folder_lock.h"
#include "imageio/decode.h"
#include "index/vector_index.h"
#include "likeness/status.h"
#include "openset/neighbourhood_stats.h"
#include "privacy/key_store.h"
#include "privacy/master_key.h"
#include "vision/face_analyzer.h"

namespace likeness::engine {

inline constexpr std::string_view kDefaultIndexKind = "Flat";
inline constexpr uint64_t kTrainingSampleSeed = 0x5eed;
// How long an index replaced by a background rebuild is kept alive for searches still using it.
inline constexpr std::chrono::seconds kRetiredIndexGrace{30};

struct EngineOptions {
  std::filesystem::path data_dir = "likeness-data";  // from --data or LIKENESS_DATA
  std::filesystem::path model_dir;                   // empty: vision::DefaultModelDir()
  // Empty: the kind configured in the catalog (`likeness index set`), else "Flat" (exact). E.g.
  // "HNSW32", "IVF4096,PQ64,rerank=fp16" (see index/vector_index.h).
  std::string index_factory;
  vision::AnalyzeOptions analyze;
  // The inference precision of new analyzers (the CLI's --precision). Like flip TTA, the engine
  // follows a catalog made in the other precision (its model id ends in "+bf16").
  vision::inference::Precision precision = vision::inference::DefaultPrecision();
  // Faces whose quality is below this are stored but not put in the search index.
  float quality_floor = vision::kDefaultSearchableQualityFloor;
  imageio::DecodeOptions decode = {.max_pixels = 100'000'000, .reduce_above_side = 2400};
  uint64_t max_file_bytes = 256ull << 20;
  // Open even when the catalog holds another model's embeddings (only `reembed` sets this).
  // Otherwise the engine follows the catalog's model variant (flip TTA on or off, fp32 or bf16) and
  // refuses a foreign model.
  bool allow_model_migration = false;
  // Non-empty: this process writes the folder ("ingest", "erase", "serve", ...) and holds its
  // writer lock (folder_lock.h) for the engine's lifetime; Open fails with FailedPrecondition,
  // naming the holder and what to do, when another process holds it. Empty: a reader, which takes
  // the lock only around each write of a derived file and skips the write when it cannot.
  std::string writer_role;
};

class IngestPolicy;    // ingest.h
class RemoteSearcher;  // remote_search.h

// Associated data of every sealed embedding (envelope encryption under "source:<id>").
inline constexpr std::string_view kEmbeddingSealAd = "likeness-face-embedding-v1";

// Reports progress of long work (rebuilds): done of total.
using ProgressFn = std::function<void(int64_t done, int64_t total)>;

class Engine {
 public:
  // Opens (creating if needed) the data folder, verifies the models, opens the key store
  // (keys.db under the master key, both in the data folder's key folder: privacy/key_folder.h;
  // created for a new data folder, NotFound for a data folder whose keys are elsewhere), opens the
  // catalog with embeddings sealed under each source's data key
  // ("source:<id>"; catalog/embedding_codec.h) and loads or rebuilds the index. Errors from the
  // master key (InvalidArgument, PermissionDenied), the key store (PermissionDenied for a wrong
  // master key), the catalog, model verification or index rebuild.
  static Result<std::unique_ptr<Engine>> Open(const EngineOptions& options,
                                              const ProgressFn& rebuild_progress = {});
  ~Engine();

  const EngineOptions& options() const { return options_; }
  catalog::Catalog& catalog() { return *catalog_; }
  // The key store sealing the catalog's embeddings (shared with governance, which destroys keys).
  const std::shared_ptr<privacy::KeyStore>& keys() const { return keys_; }
  // The index searches use now. A background rebuild may replace it: the previous one stays valid
  // for at least kRetiredIndexGrace after the switch, so a search that took this reference
  // finishes on it.
  index::VectorIndex& index() { return *current_.load(std::memory_order_acquire); }
  const vision::VerifiedModels& models() const { return models_; }
  // The model id stamped on embeddings this engine makes (includes "+flip" with flip TTA).
  std::string embedding_model_id() const;

  // A new analyzer (one per worker thread).
  Result<std::unique_ptr<vision::FaceAnalyzer>> NewAnalyzer() const;

  // Commits an image and its faces to the catalog (catalog::Catalog::AddImageWithFaces, whose
  // errors it returns, AlreadyExists for bytes already held) and adds the searchable ones to the
  // index, as one step with respect to SaveIndex: a save never stamps the catalog generation of a
  // commit whose faces are not yet in the index (a stale-looking-fresh file would hide them until
  // the next rebuild). Every ingest path stores through this.
  Status StoreImage(catalog::ImageRecord& image, std::vector<catalog::FaceRecord>& faces);
  // The catalog record of a face the analyzer found in an image decoded at `scale` (see
  // imageio::DecodedImage): box, points and face size mapped back to original pixels, this engine's
  // model id, searchable when its quality reaches options().quality_floor. Moves the embedding.
  catalog::FaceRecord FaceRecordFor(vision::AnalyzedFace&& face, double scale) const;
  // Adds searchable faces to the in-memory index (after the catalog committed them).
  Status IndexFaces(const std::vector<catalog::FaceRecord>& faces);
  // Removes faces from the index (after the catalog deleted them).
  Status UnindexFaces(std::span<const int64_t> face_ids);
  // Writes the index with the catalog's current generation (atomic; the file it replaces is
  // overwritten first), and leaves the hubness file current or absent (never stale: it holds
  // embeddings). Never saves an index older than the catalog: when another process changed the
  // catalog since this index was built (Catalog::ChangedElsewhere, e.g. an erasure that bypassed
  // the writer lock), the index is rebuilt from the catalog and that is saved. A reader engine
  // (no writer_role) writes only when it can take the folder's writer lock for the moment, and
  // otherwise keeps its index in memory.
  Status SaveIndex();
  // Rebuilds the index from the catalog (physically dropping anything not in it) and saves it.
  // Stores wait meanwhile.
  Status RebuildIndex(const ProgressFn& progress = {});

  // Retrains (kinds with codebooks: on a fresh reservoir sample of the catalog) and rebuilds the
  // index in a background thread while the current index keeps answering searches and taking
  // stores and erasures. Changes made meanwhile are logged and replayed into the new index, which
  // then replaces the current one at once and is saved. FailedPrecondition when one is running.
  Status StartBackgroundRebuild(const ProgressFn& progress = {});
  bool background_rebuild_running() const { return rebuild_running_.load(); }
  // Waits for the background rebuild (if any) and returns its outcome.
  Status WaitForBackgroundRebuild();
  // True when the index learns codebooks and they were trained on fewer vectors than it wants
  // while the index now holds at least twice as many (e.g. trained on the first small ingest).
  bool IndexNeedsRetraining();
  std::filesystem::path index_path() const;

  // Hubness state (openset::NeighbourhoodStats over the searchable faces): absent until the first
  // hubness-scored search builds it from the catalog (O(N^2 * d)) and writes it to hubness_path()
  // stamped with the catalog generation. From then on every engine that opens the folder loads it
  // and keeps it exact as faces are indexed (IndexFaces) and erased (UnindexFaces); SaveIndex
  // writes it beside the index. A file whose stamp or size no longer matches the catalog (a process
  // without this code changed it, a crash) is stale and rebuilt at the next hubness search.
  std::filesystem::path hubness_path() const;
  int hubness_k() const { return openset::kDefaultHubnessK; }
  // Each face's mean cosine to its k nearest other searchable faces, in `face_ids` order.
  // Builds or rebuilds the state first when needed. Errors: the catalog's, IOError saving it.
  Result<std::vector<float>> GalleryMeans(std::span<const int64_t> face_ids);
  // Whether the hubness state is loaded and maintained (for tests and `stats`).
  bool hubness_maintained();

  // The policy every Ingest on this engine obeys (null: none). Install it before ingesting; the
  // engine shares ownership.
  void set_ingest_policy(std::shared_ptr<IngestPolicy> policy) {
    ingest_policy_ = std::move(policy);
  }
  IngestPolicy* ingest_policy() const { return ingest_policy_.get(); }

  // A cluster router's backend: when set, searches go to it instead of the local index (see
  // remote_search.h). Install it before serving.
  void set_remote_searcher(std::shared_ptr<RemoteSearcher> searcher) {
    remote_searcher_ = std::move(searcher);
  }
  RemoteSearcher* remote_searcher() const { return remote_searcher_.get(); }

 private:
  Engine() = default;
  Status LoadOrRebuildIndex(const ProgressFn& progress);
  void LoadHubnessIfPresent();
  Status RebuildHubnessLocked();
  // REQUIRES: hubness_mu_ held. Saves the maintained hubness state stamped `generation`, or, when
  // it is not maintained, overwrites and removes a file left from earlier (it may hold erased
  // faces' embeddings) so the next hubness search rebuilds it.
  Status SettleHubnessLocked(uint64_t generation);
  // The folder's writer lock for one derived-file write: a null holder when this engine holds it
  // for its lifetime, or took it now; *skip when another process holds it (do not write).
  Result<std::unique_ptr<FolderLock>> LockForDerivedWrite(bool* skip);
  // REQUIRES: index_write_mu_ and store_sync_mu_ held exclusively. Builds from the catalog,
  // saves (unless `save` is false) and installs.
  Status RebuildLocked(const ProgressFn& progress, bool save);
  Status TrainFromSample(index::VectorIndex& fresh);
  // Builds a new index of the configured kind from the catalog (train + add), without locks.
  Result<std::unique_ptr<index::VectorIndex>> BuildFromCatalog(const ProgressFn& progress);
  // Makes `fresh` the current index; the old one is retired (freed after kRetiredIndexGrace).
  void InstallIndex(std::unique_ptr<index::VectorIndex> fresh);
  void ReleaseRetiredIndexes(bool all);
  Status RunBackgroundRebuild(const ProgressFn& progress);

  EngineOptions options_;
  std::unique_ptr<FolderLock> folder_lock_;  // held for the lifetime when options_.writer_role
  vision::VerifiedModels models_;
  std::shared_ptr<privacy::KeyStore> keys_;
  std::unique_ptr<catalog::Catalog> catalog_;
  std::unique_ptr<index::VectorIndex> index_;  // owns the current index
  std::atomic<index::VectorIndex*> current_{nullptr};
  // Background rebuild: while `rebuild_log_active_`, IndexFaces / UnindexFaces record what they do
  // (under rebuild_mu_, together with applying it) so the new index can replay it.
  struct IndexChange {
    bool add = true;
    std::vector<int64_t> ids;
    std::vector<float> vectors;
  };
  std::mutex rebuild_mu_;  // guards the change log, retired_ and the switch
  bool rebuild_log_active_ = false;
  std::vector<IndexChange> rebuild_log_;
  std::vector<std::pair<std::chrono::steady_clock::time_point, std::unique_ptr<index::VectorIndex>>>
      retired_;
  std::atomic<bool> rebuild_running_{false};
  std::atomic<bool> rebuild_cancel_{false};  // set by the destructor
  std::thread rebuild_thread_;
  Status rebuild_status_;
  std::mutex index_write_mu_;  // serialises Save/Rebuild against each other
  // Shared by StoreImage across commit + index; exclusive in SaveIndex (see StoreImage).
  std::shared_mutex store_sync_mu_;
  std::shared_ptr<IngestPolicy> ingest_policy_;
  std::shared_ptr<RemoteSearcher> remote_searcher_;
  std::mutex hubness_mu_;  // guards hubness_ and hubness_stale_
  std::unique_ptr<openset::NeighbourhoodStats> hubness_;
  bool hubness_stale_ = false;  // a file exists but does not match: rebuild on next use
};

// Reads the bytes of a stored image location with the engine's size limit: a file path, or an
// archive entry "ARCHIVE!/entry" (see sources::SplitArchiveLocation). Errors: those of
// imageio::ReadFileBytes and sources::ReadArchiveEntry.
Result<std::vector<uint8_t>> ReadStoredBytes(const std::string& location,
                                             const EngineOptions& options);

// Reads (ReadStoredBytes) and decodes an image with the engine's limits. Errors name the file.
Result<imageio::DecodedImage> LoadImageFile(const std::filesystem::path& path,
                                            const EngineOptions& options,
                                            std::vector<uint8_t>* bytes_out = nullptr);

// The catalog as every part of Likeness must open it (Engine::Open does; so do the commands that
// need no models): the key store keys.db in the key folder (privacy/key_folder.h) under the
// master key, and
// <data_dir>/catalog.db with embeddings sealed under each source's data key ("source:<id>",
// associated data kEmbeddingSealAd; catalog/embedding_codec.h), sealing any plaintext rows left by
// an older build. Catalog::Open alone cannot read sealed embeddings (FailedPrecondition). The
// catalog's codec shares `keys`, so the catalog may outlive this struct's `keys` member. Errors:
// those of privacy::OpenKeyFolder (NotFound: the data folder's keys are not where they belong, or
// keys.db is missing), LoadOrCreateMasterKey, KeyStore::Open (PermissionDenied for a wrong master
// key) and catalog::OpenCatalog.
struct SealedCatalog {
  std::shared_ptr<privacy::KeyStore> keys;
  std::unique_ptr<catalog::Catalog> catalog;
};
Result<SealedCatalog> OpenSealedCatalog(const std::filesystem::path& data_dir);

// $LIKENESS_MASTER_KEY when set, else master.key in the data folder's key folder
// (privacy::OpenKeyFolder, which creates it for a new data folder).
Result<privacy::MasterKey> LoadOrCreateMasterKey(const std::filesystem::path& data_dir);

// The data folder from --data, else LIKENESS_DATA, else ./likeness-data.
std::filesystem::path ResolveDataDir(const std::string& flag_value);

}  // namespace likeness::engine
