// The engine's hubness state: openset::NeighbourhoodStats over the searchable faces, persisted
// beside the index and kept exact on ingest and erasure (contract in engine.h).
#include <string>

#include "common/scrub_file.h"
#include "engine/engine.h"

namespace likeness::engine {
namespace fs = std::filesystem;

fs::path Engine::hubness_path() const { return options_.data_dir / "index" / "hubness.lkhub"; }

void Engine::LoadHubnessIfPresent() {
  std::lock_guard lock(hubness_mu_);
  if (!fs::exists(hubness_path())) return;
  auto loaded = openset::NeighbourhoodStats::Load(hubness_path());
  auto generation = catalog_->Generation();
  if (loaded.ok() && generation.ok() && loaded->tag == *generation &&
      loaded->stats->k() == hubness_k() && loaded->stats->size() == index().size()) {
    hubness_ = std::move(loaded->stats);
    return;
  }
  hubness_stale_ = true;  // rebuilt at the next hubness search
}

Status Engine::RebuildHubnessLocked() {
  auto fresh = std::make_unique<openset::NeighbourhoodStats>(kEmbeddingDim, hubness_k());
  Status add;
  RETURN_IF_ERROR(catalog_->ForEachEmbedding(
      [&](int64_t face_id, bool searchable, std::span<const float> embedding) {
        if (searchable && embedding.size() == static_cast<size_t>(kEmbeddingDim))
          add = fresh->Add(face_id, embedding);
        return add.ok();
      }));
  RETURN_IF_ERROR(add);
  ASSIGN_OR_RETURN(uint64_t generation, catalog_->Generation());
  bool skip = false;  // another process writes the folder: keep the state in memory only
  ASSIGN_OR_RETURN(auto write_lock, LockForDerivedWrite(&skip));
  if (!skip) RETURN_IF_ERROR(fresh->Save(hubness_path(), generation));
  hubness_ = std::move(fresh);
  hubness_stale_ = false;
  return Status::Ok();
}

Result<std::vector<float>> Engine::GalleryMeans(std::span<const int64_t> face_ids) {
  std::lock_guard lock(hubness_mu_);
  if (!hubness_ || hubness_stale_) RETURN_IF_ERROR(RebuildHubnessLocked());
  std::vector<float> means;
  means.reserve(face_ids.size());
  for (int64_t id : face_ids) {
    auto m = hubness_->Mean(id);
    if (!m.ok()) {  // the index knows a face the state does not: it drifted, rebuild once
      RETURN_IF_ERROR(RebuildHubnessLocked());
      m = hubness_->Mean(id);
    }
    means.push_back(m.ok() ? *m : 0.0f);  // still unknown: erased meanwhile, no correction
  }
  return means;
}

Status Engine::SettleHubnessLocked(uint64_t generation) {
  if (hubness_ && !hubness_stale_) return hubness_->Save(hubness_path(), generation);
  hubness_.reset();
  hubness_stale_ = false;
  return OverwriteAndRemove(hubness_path()).status();
}

bool Engine::hubness_maintained() {
  std::lock_guard lock(hubness_mu_);
  return hubness_ != nullptr && !hubness_stale_;
}

}  // namespace likeness::engine
