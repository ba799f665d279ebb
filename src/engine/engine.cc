#include "engine/engine.h"

#include <cstdlib>
#include <random>

namespace likeness::engine {
namespace fs = std::filesystem;

Engine::~Engine() = default;

fs::path ResolveDataDir(const std::string& flag_value) {
  if (!flag_value.empty()) return fs::path(flag_value);
  if (const char* env = std::getenv("LIKENESS_DATA"); env && *env) return fs::path(env);
  return fs::path("likeness-data");
}

std::string Engine::embedding_model_id() const {
  std::string id = models_.manifest.EmbedderModelId();
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
  ASSIGN_OR_RETURN(vision::ModelManifest manifest, vision::BuiltinManifest());
  const fs::path model_dir =
      options.model_dir.empty() ? vision::DefaultModelDir() : options.model_dir;
  ASSIGN_OR_RETURN(engine->models_, vision::LoadVerifiedModels(manifest, model_dir));
  ASSIGN_OR_RETURN(engine->catalog_, catalog::Catalog::Open(options.data_dir / "catalog.db"));
  if (engine->options_.index_factory.empty()) {
    ASSIGN_OR_RETURN(std::string kind, engine->catalog_->IndexKind());
    engine->options_.index_factory = kind.empty() ? std::string(kDefaultIndexKind) : kind;
  }
  ASSIGN_OR_RETURN(std::string catalog_model, engine->catalog_->ModelId());
  const std::string base_model = engine->models_.manifest.EmbedderModelId();
  if (!options.allow_model_migration &&
      (catalog_model == base_model || catalog_model == base_model + "+flip")) {
    engine->options_.analyze.flip_augment = catalog_model != base_model;
  }
  if (!options.allow_model_migration && !catalog_model.empty() &&
      catalog_model != engine->embedding_model_id()) {
    return Status::FailedPrecondition("the catalog holds embeddings of model " + catalog_model +
                                      " but this engine makes " + engine->embedding_model_id() +
                                      "; run `likeness reembed` to migrate the catalog");
  }
  RETURN_IF_ERROR(engine->LoadOrRebuildIndex(rebuild_progress));
  return engine;
}

Status Engine::LoadOrRebuildIndex(const ProgressFn& progress) {
  ASSIGN_OR_RETURN(uint64_t generation, catalog_->Generation());
  auto loaded = index::LoadIndex(index_path());
  if (loaded.ok() && loaded->generation == generation &&
      loaded->index->factory() == options_.index_factory) {
    index_ = std::move(loaded->index);
    return Status::Ok();
  }
  return RebuildIndex(progress);
}

Status Engine::RebuildIndex(const ProgressFn& progress) {
  std::lock_guard lock(index_write_mu_);
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
        return add_status.ok();
      }));
  flush();
  RETURN_IF_ERROR(add_status);
  if (progress) progress(visited, stats.faces);
  ASSIGN_OR_RETURN(uint64_t generation, catalog_->Generation());
  RETURN_IF_ERROR(fresh->Save(index_path(), generation));
  index_ = std::move(fresh);
  return Status::Ok();
}

// Kinds with codebooks (IVF-PQ) train on a uniform reservoir sample of the searchable embeddings,
// drawn in one extra pass over the catalog. With fewer faces than the kind needs, the index trains
// on what there is (or on its first Add).
Status Engine::TrainFromSample(index::VectorIndex& fresh) {
  const int64_t want = fresh.TrainingSampleSize();
  if (want <= 0) return Status::Ok();
  std::vector<float> sample;
  sample.reserve(static_cast<size_t>(want) * kEmbeddingDim);
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
  return fresh.Train(sample);
}

Status Engine::SaveIndex() {
  std::lock_guard lock(index_write_mu_);
  ASSIGN_OR_RETURN(uint64_t generation, catalog_->Generation());
  return index_->Save(index_path(), generation);
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
  return index_->Add(ids, vectors);
}

Status Engine::UnindexFaces(std::span<const int64_t> face_ids) {
  auto removed = index_->Remove(face_ids);
  return removed.status();
}

Result<std::unique_ptr<vision::FaceAnalyzer>> Engine::NewAnalyzer() const {
  return vision::FaceAnalyzer::Create(models_);
}

Result<imageio::DecodedImage> LoadImageFile(const fs::path& path, const EngineOptions& options,
                                            std::vector<uint8_t>* bytes_out) {
  auto bytes = imageio::ReadFileBytes(path, options.max_file_bytes);
  if (!bytes.ok()) return bytes.status().WithContext(path.string());
  auto decoded = imageio::DecodeImage(*bytes, options.decode);
  if (!decoded.ok()) return decoded.status().WithContext(path.string());
  if (bytes_out) *bytes_out = std::move(*bytes);
  return decoded;
}

}  // namespace likeness::engine
