#include "engine/engine.h"

#include <cstdlib>
#include <random>
#include <string_view>

#include "catalog/embedding_codec.h"
#include "common/scrub_file.h"
#include "privacy/envelope.h"
#include "privacy/key_folder.h"
#include "sources/sources.h"

namespace likeness::engine {
namespace fs = std::filesystem;

namespace {

// Embeddings sealed with envelope encryption under the source's data key. The associated data
// names what the blob is, so a sealed embedding cannot pass for another kind of sealed item.
class SourceKeyCodec final : public catalog::EmbeddingCodec {
 public:
  explicit SourceKeyCodec(std::shared_ptr<privacy::KeyStore> keys) : keys_(std::move(keys)) {}
  Result<std::vector<uint8_t>> Seal(int64_t source_id,
                                    std::span<const uint8_t> plaintext) override {
    return privacy::EnvelopeEncrypt(*keys_, Scope(source_id), plaintext, Ad());
  }
  Result<std::vector<uint8_t>> Open(int64_t source_id, std::span<const uint8_t> sealed) override {
    return privacy::EnvelopeDecrypt(*keys_, Scope(source_id), sealed, Ad());
  }

 private:
  static std::string Scope(int64_t source_id) { return "source:" + std::to_string(source_id); }
  static std::span<const uint8_t> Ad() {
    return {reinterpret_cast<const uint8_t*>(kEmbeddingSealAd.data()), kEmbeddingSealAd.size()};
  }
  std::shared_ptr<privacy::KeyStore> keys_;
};

}  // namespace

static Result<privacy::MasterKey> LoadMasterKey(const privacy::KeyFolder& keys) {
  if (const char* env = std::getenv(privacy::kMasterKeyEnvVar); env && *env) {
    return privacy::MasterKey::FromEnv();
  }
  return privacy::MasterKey::FromFile(keys.master_key());
}

Result<privacy::MasterKey> LoadOrCreateMasterKey(const fs::path& data_dir) {
  ASSIGN_OR_RETURN(const privacy::KeyFolder keys, privacy::OpenKeyFolder(data_dir));
  return LoadMasterKey(keys);
}

Result<SealedCatalog> OpenSealedCatalog(const fs::path& data_dir) {
  SealedCatalog out;
  ASSIGN_OR_RETURN(const privacy::KeyFolder folder, privacy::OpenKeyFolder(data_dir));
  std::error_code ec;
  if (!folder.created && folder.migrated.empty() && !fs::exists(folder.keys_db(), ec) &&
      fs::exists(data_dir / "catalog.db", ec)) {
    return Status::NotFound("the key store " + folder.keys_db().string() + " of data folder " +
                            data_dir.string() +
                            " is missing: without it no sealed embedding can be read");
  }
  ASSIGN_OR_RETURN(privacy::MasterKey master, LoadMasterKey(folder));
  ASSIGN_OR_RETURN(std::unique_ptr<privacy::KeyStore> keys,
                   privacy::KeyStore::Open(folder.keys_db(), std::move(master)));
  out.keys = std::move(keys);
  ASSIGN_OR_RETURN(out.catalog, catalog::OpenCatalog(data_dir / "catalog.db",
                                                     std::make_shared<SourceKeyCodec>(out.keys)));
  return out;
}

Engine::~Engine() {
  rebuild_cancel_.store(true);  // a background rebuild stops at its next chunk
  if (rebuild_thread_.joinable()) rebuild_thread_.join();
}

fs::path ResolveDataDir(const std::string& flag_value) {
  if (!flag_value.empty()) return fs::path(flag_value);
  if (const char* env = std::getenv("LIKENESS_DATA"); env && *env) return fs::path(env);
  return fs::path("likeness-data");
}

std::string Engine::embedding_model_id() const {
  std::string id = models_.manifest.EmbedderModelId();
  if (options_.precision == vision::inference::Precision::kBf16) id += "+bf16";
  if (options_.analyze.flip_augment) id += "+flip";
  return id;
}

fs::path Engine::index_path() const { return options_.data_dir / "index" / "faces.lkidx"; }

Result<std::unique_ptr<Engine>> Engine::Open(const EngineOptions& options,
                                             const ProgressFn& rebuild_progress) {
  std::unique_ptr<Engine> engine(new Engine());
  engine->options_ = options;
  std::error_code ec;
  fs::create_directories(options.data_dir / "index", ec);
  if (ec) {
    return Status::IOError("cannot create data folder " + options.data_dir.string() + ": " +
                           ec.message());
  }
  if (!options.writer_role.empty()) {
    // Before anything is read or rebuilt: a second writer is refused with nothing changed.
    ASSIGN_OR_RETURN(engine->folder_lock_,
                     FolderLock::Acquire(options.data_dir, options.writer_role));
  }
  ASSIGN_OR_RETURN(vision::ModelManifest manifest, vision::BuiltinManifest());
  const fs::path model_dir =
      options.model_dir.empty() ? vision::DefaultModelDir() : options.model_dir;
  ASSIGN_OR_RETURN(engine->models_, vision::LoadVerifiedModels(manifest, model_dir));
  ASSIGN_OR_RETURN(SealedCatalog sealed, OpenSealedCatalog(options.data_dir));
  engine->keys_ = std::move(sealed.keys);
  engine->catalog_ = std::move(sealed.catalog);
  if (engine->options_.index_factory.empty()) {
    ASSIGN_OR_RETURN(std::string kind, engine->catalog_->IndexKind());
    engine->options_.index_factory = kind.empty() ? std::string(kDefaultIndexKind) : kind;
  }
  ASSIGN_OR_RETURN(std::string catalog_model, engine->catalog_->ModelId());
  const std::string base_model = engine->models_.manifest.EmbedderModelId();
  if (!options.allow_model_migration) {
    // The catalog's variant of this model: base, then "+bf16" and "+flip" in that order.
    for (const bool bf16 : {false, true}) {
      for (const bool flip : {false, true}) {
        if (catalog_model == base_model + (bf16 ? "+bf16" : "") + (flip ? "+flip" : "")) {
          engine->options_.precision =
              bf16 ? vision::inference::Precision::kBf16 : vision::inference::Precision::kFp32;
          engine->options_.analyze.flip_augment = flip;
        }
      }
    }
  }
  if (!options.allow_model_migration && !catalog_model.empty() &&
      catalog_model != engine->embedding_model_id()) {
    return Status::FailedPrecondition("the catalog holds embeddings of model " + catalog_model +
                                      " but this engine makes " + engine->embedding_model_id() +
                                      "; run `likeness reembed` to migrate the catalog");
  }
  RETURN_IF_ERROR(engine->LoadOrRebuildIndex(rebuild_progress));
  engine->LoadHubnessIfPresent();
  return engine;
}

Status Engine::LoadOrRebuildIndex(const ProgressFn& progress) {
  ASSIGN_OR_RETURN(uint64_t generation, catalog_->Generation());
  auto loaded = index::LoadIndex(index_path());
  if (loaded.ok() && loaded->generation == generation &&
      loaded->index->factory() == options_.index_factory) {
    InstallIndex(std::move(loaded->index));
    catalog_->MarkGenerationSeen(generation);
    return Status::Ok();
  }
  return RebuildIndex(progress);
}

Result<std::unique_ptr<index::VectorIndex>> Engine::BuildFromCatalog(const ProgressFn& progress) {
  ASSIGN_OR_RETURN(auto fresh, index::CreateIndex(options_.index_factory, kEmbeddingDim,
                                                  {.scratch_dir = options_.data_dir / "index"}));
  ASSIGN_OR_RETURN(catalog::CatalogStats stats, catalog_->Stats());
  RETURN_IF_ERROR(TrainFromSample(*fresh));
  constexpr size_t kChunk = 4096;
  std::vector<int64_t> ids;
  std::vector<float> vectors;
  int64_t visited = 0;
  Status add_status;
  auto flush = [&]() {
    if (ids.empty()) return;
    add_status = fresh->Add(ids, vectors);
    ids.clear();
    vectors.clear();
  };
  RETURN_IF_ERROR(catalog_->ForEachEmbedding(
      [&](int64_t face_id, bool searchable, std::span<const float> embedding) {
        ++visited;
        if (searchable) {
          ids.push_back(face_id);
          vectors.insert(vectors.end(), embedding.begin(), embedding.end());
        }
        if (ids.size() >= kChunk) flush();
        if (progress && visited % kChunk == 0) progress(visited, stats.faces);
        return add_status.ok() && !rebuild_cancel_.load();
      }));
  if (rebuild_cancel_.load()) return Status::FailedPrecondition("index rebuild cancelled");
  flush();
  RETURN_IF_ERROR(add_status);
  fresh->ShrinkToFit();  // IVF-PQ: ~30 B/face of list growth slack
  if (progress) progress(visited, stats.faces);
  return fresh;
}

void Engine::InstallIndex(std::unique_ptr<index::VectorIndex> fresh) {
  current_.store(fresh.get(), std::memory_order_release);
  if (index_) retired_.emplace_back(std::chrono::steady_clock::now(), std::move(index_));
  index_ = std::move(fresh);
}

void Engine::ReleaseRetiredIndexes(bool all) {
  const auto now = std::chrono::steady_clock::now();
  std::erase_if(retired_,
                [&](const auto& r) { return all || now - r.first >= kRetiredIndexGrace; });
}

Result<std::unique_ptr<FolderLock>> Engine::LockForDerivedWrite(bool* skip) {
  *skip = false;
  if (folder_lock_) return std::unique_ptr<FolderLock>();
  ASSIGN_OR_RETURN(std::unique_ptr<FolderLock> lock,
                   FolderLock::TryAcquire(options_.data_dir, "index-save"));
  *skip = lock == nullptr;
  return lock;
}

Status Engine::RebuildIndex(const ProgressFn& progress) {
  std::lock_guard lock(index_write_mu_);
  // Stores wait for the rebuild: a face committed during the walk would be missed by the new index
  // yet covered by the generation it is stamped with.
  std::unique_lock sync(store_sync_mu_);
  bool skip = false;  // another process writes the folder: rebuild in memory only
  ASSIGN_OR_RETURN(auto write_lock, LockForDerivedWrite(&skip));
  return RebuildLocked(progress, !skip);
}

Status Engine::RebuildLocked(const ProgressFn& progress, bool save) {
  // Read before the walk: a change another process commits meanwhile leaves the file stale-looking.
  ASSIGN_OR_RETURN(uint64_t generation, catalog_->Generation());
  ASSIGN_OR_RETURN(auto fresh, BuildFromCatalog(progress));
  if (save) RETURN_IF_ERROR(fresh->Save(index_path(), generation));
  {
    std::lock_guard rebuild_lock(rebuild_mu_);
    InstallIndex(std::move(fresh));
  }
  catalog_->MarkGenerationSeen(generation);
  std::lock_guard hubness_lock(hubness_mu_);
  // The hubness state may not reflect what the rebuild found: dropped, rebuilt on next use.
  hubness_.reset();
  hubness_stale_ = false;
  if (save) RETURN_IF_ERROR(OverwriteAndRemove(hubness_path()).status());
  return Status::Ok();
}

Status Engine::StartBackgroundRebuild(const ProgressFn& progress) {
  if (rebuild_running_.exchange(true)) {
    return Status::FailedPrecondition("an index rebuild is already running");
  }
  if (rebuild_thread_.joinable()) rebuild_thread_.join();  // the previous one, finished
  {
    std::lock_guard lock(rebuild_mu_);
    ReleaseRetiredIndexes(false);
    rebuild_log_.clear();
    rebuild_log_active_ = true;  // from here on every index change is also logged
  }
  rebuild_thread_ = std::thread([this, progress] {
    Status st = RunBackgroundRebuild(progress);
    {
      std::lock_guard lock(rebuild_mu_);
      rebuild_log_active_ = false;
      rebuild_log_.clear();
      rebuild_status_ = st;
    }
    rebuild_running_.store(false);
  });
  return Status::Ok();
}

Status Engine::RunBackgroundRebuild(const ProgressFn& progress) {
  // Train and add with no lock held: searches, stores and erasures go on against the current index
  // (and into the change log).
  ASSIGN_OR_RETURN(auto fresh, BuildFromCatalog(progress));
  std::lock_guard lock(index_write_mu_);
  std::unique_lock sync(store_sync_mu_);  // no commit between catalog and index while switching
  {
    std::lock_guard rebuild_lock(rebuild_mu_);
    // Replay in order. An added face the walk already saw is removed first (no duplicate); a
    // removal of a face the walk never saw removes nothing.
    for (const IndexChange& change : rebuild_log_) {
      RETURN_IF_ERROR(fresh->Remove(change.ids).status());
      if (change.add) RETURN_IF_ERROR(fresh->Add(change.ids, change.vectors));
    }
    rebuild_log_.clear();
    rebuild_log_active_ = false;
    InstallIndex(std::move(fresh));
  }
  bool skip = false;  // another process writes the folder: keep the new index in memory only
  ASSIGN_OR_RETURN(auto write_lock, LockForDerivedWrite(&skip));
  if (skip) return Status::Ok();
  ASSIGN_OR_RETURN(uint64_t generation, catalog_->Generation());
  RETURN_IF_ERROR(index().Save(index_path(), generation));
  std::lock_guard hubness_lock(hubness_mu_);
  hubness_.reset();  // rebuilt on next use
  hubness_stale_ = false;
  return OverwriteAndRemove(hubness_path()).status();
}

Status Engine::WaitForBackgroundRebuild() {
  if (rebuild_thread_.joinable()) rebuild_thread_.join();
  std::lock_guard lock(rebuild_mu_);
  return rebuild_status_;
}

bool Engine::IndexNeedsRetraining() {
  index::VectorIndex& current = index();
  const int64_t want = current.TrainingSampleSize();
  if (want <= 0 || background_rebuild_running()) return false;
  const auto codebook = current.codebook();
  const int64_t trained = codebook ? codebook->sample_size : 0;
  const auto held = static_cast<int64_t>(current.size());
  return trained < want && held >= 2 * std::max<int64_t>(trained, 1);
}

// Kinds with codebooks (IVF-PQ) train on a uniform reservoir sample of the searchable embeddings,
// drawn in one extra pass over the catalog. With fewer faces than the kind needs, the index trains
// on what there is (or on its first Add).
Status Engine::TrainFromSample(index::VectorIndex& fresh) {
  const int64_t want = fresh.TrainingSampleSize();
  if (want <= 0) return Status::Ok();
  std::vector<float> sample;
  sample.reserve(static_cast<size_t>(want) * kEmbeddingDim);
  ASSIGN_OR_RETURN(const uint64_t generation, catalog_->Generation());
  std::mt19937_64 rng(kTrainingSampleSeed);
  int64_t seen = 0;
  RETURN_IF_ERROR(
      catalog_->ForEachEmbedding([&](int64_t, bool searchable, std::span<const float> embedding) {
        if (!searchable) return true;
        ++seen;
        if (seen <= want) {
          sample.insert(sample.end(), embedding.begin(), embedding.end());
        } else if (const auto slot = static_cast<int64_t>(rng() % static_cast<uint64_t>(seen));
                   slot < want) {
          std::copy(embedding.begin(), embedding.end(),
                    sample.begin() + static_cast<ptrdiff_t>(slot * kEmbeddingDim));
        }
        return true;
      }));
  if (seen == 0) return Status::Ok();  // nothing to index yet: the first Add trains
  return fresh.Train(sample,
                     {.sample_seed = kTrainingSampleSeed, .catalog_generation = generation});
}

Status Engine::StoreImage(catalog::ImageRecord& image, std::vector<catalog::FaceRecord>& faces) {
  if (remote_searcher_) {
    // A router's own catalog is never searched: a face stored here would be lost to search.
    return Status::FailedPrecondition(
        "this process is a cluster router (--cluster): ingest with `likeness cluster ingest`");
  }
  std::shared_lock sync(store_sync_mu_);
  RETURN_IF_ERROR(catalog_->AddImageWithFaces(image, faces));
  return IndexFaces(faces);
}

Status Engine::SaveIndex() {
  std::lock_guard lock(index_write_mu_);
  std::unique_lock sync(store_sync_mu_);  // no commit is between catalog and index meanwhile
  bool skip = false;
  ASSIGN_OR_RETURN(auto write_lock, LockForDerivedWrite(&skip));
  if (skip) {
    // The change is in the catalog and in this index; the file would need the lock.
    const auto holder = FolderLock::Holder(options_.data_dir);
    return Status::FailedPrecondition(
        RefusalMessage(options_.data_dir, holder.value_or(FolderLockHolder{}), "save the index"));
  }
  // Another process changed the catalog under this index (e.g. erased faces it still holds):
  // saving it would write those vectors back, stamped current. Rebuild from the catalog instead.
  ASSIGN_OR_RETURN(const bool elsewhere, catalog_->ChangedElsewhere());
  if (elsewhere) return RebuildLocked({}, true);
  ASSIGN_OR_RETURN(uint64_t generation, catalog_->Generation());
  RETURN_IF_ERROR(index().Save(index_path(), generation));
  {
    std::lock_guard rebuild_lock(rebuild_mu_);
    ReleaseRetiredIndexes(false);
  }
  std::lock_guard hubness_lock(hubness_mu_);
  return SettleHubnessLocked(generation);
}

catalog::FaceRecord Engine::FaceRecordFor(vision::AnalyzedFace&& f, double scale) const {
  const float inv = static_cast<float>(1.0 / scale);
  catalog::FaceRecord row;
  row.box = {f.box.x1 * inv, f.box.y1 * inv, f.box.x2 * inv, f.box.y2 * inv};
  for (size_t i = 0; i < row.points.size(); ++i) {
    row.points[i] = {f.points[i].x * inv, f.points[i].y * inv};
  }
  row.quality = f.quality;
  row.quality.face_px *= inv;
  row.searchable = f.quality.overall >= options_.quality_floor;
  row.model_id = embedding_model_id();
  row.embedding = std::move(f.embedding);
  return row;
}

Status Engine::IndexFaces(const std::vector<catalog::FaceRecord>& faces) {
  std::vector<int64_t> ids;
  std::vector<float> vectors;
  for (const auto& f : faces) {
    if (!f.searchable || f.embedding.size() != static_cast<size_t>(kEmbeddingDim)) continue;
    ids.push_back(f.id);
    vectors.insert(vectors.end(), f.embedding.begin(), f.embedding.end());
  }
  if (ids.empty()) return Status::Ok();
  {
    std::lock_guard rebuild_lock(
        rebuild_mu_);  // applied and logged as one step (see StartBackgroundRebuild)
    RETURN_IF_ERROR(index().Add(ids, vectors));
    if (rebuild_log_active_) rebuild_log_.push_back({true, ids, vectors});
  }
  std::lock_guard hubness_lock(hubness_mu_);
  if (hubness_ && !hubness_stale_) {
    for (const auto& f : faces) {
      if (!f.searchable || f.embedding.size() != static_cast<size_t>(kEmbeddingDim)) continue;
      if (!hubness_->Add(f.id, f.embedding).ok()) hubness_stale_ = true;
    }
  }
  return Status::Ok();
}

Status Engine::UnindexFaces(std::span<const int64_t> face_ids) {
  {
    std::lock_guard rebuild_lock(rebuild_mu_);
    auto removed = index().Remove(face_ids);
    RETURN_IF_ERROR(removed.status());
    if (rebuild_log_active_) {
      rebuild_log_.push_back({false, std::vector<int64_t>(face_ids.begin(), face_ids.end()), {}});
    }
  }
  std::lock_guard hubness_lock(hubness_mu_);
  if (hubness_ && !hubness_stale_)
    for (int64_t id : face_ids) (void)hubness_->Remove(id);  // unsearchable faces are absent
  return Status::Ok();
}

Result<std::unique_ptr<vision::FaceAnalyzer>> Engine::NewAnalyzer() const {
  return vision::FaceAnalyzer::Create(models_, vision::inference::DefaultBackend(),
                                      options_.precision);
}

Result<std::vector<uint8_t>> ReadStoredBytes(const std::string& location,
                                             const EngineOptions& options) {
  fs::path archive;
  std::string entry;
  if (!sources::SplitArchiveLocation(location, &archive, &entry)) {
    return imageio::ReadFileBytes(location, options.max_file_bytes);
  }
  ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, sources::ReadArchiveEntry(archive, entry));
  if (bytes.size() > options.max_file_bytes) {
    return Status::ResourceExhausted("over the per-image byte limit");
  }
  return bytes;
}

Result<imageio::DecodedImage> LoadImageFile(const fs::path& path, const EngineOptions& options,
                                            std::vector<uint8_t>* bytes_out) {
  auto bytes = ReadStoredBytes(path.string(), options);
  if (!bytes.ok()) return bytes.status().WithContext(path.string());
  auto decoded = imageio::DecodeImage(*bytes, options.decode);
  if (!decoded.ok()) return decoded.status().WithContext(path.string());
  if (bytes_out) *bytes_out = std::move(*bytes);
  return decoded;
}

}  // namespace likeness::engine
