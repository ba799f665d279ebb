// FaissVectorIndex: the VectorIndex implementation over FAISS. Internal to src/index; callers use
// CreateIndex / LoadIndex from vector_index.h.
#pragma once

#include <faiss/IndexIDMap.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "index/rw_lock.h"
#include "index/vector_index.h"
#include "likeness/status.h"

namespace likeness::index {

// HNSW search breadth: efSearch = max(kMinHnswEfSearch, kHnswEfSearchPerK * k). 128 rather than 64:
// on 5k synthetic 512-d unit vectors, HNSW32 gave recall@10 of about 0.74-0.88 at efSearch 64 and
// 0.92-0.98 at 128 (FAISS's own default, 16, gave about 0.3).
inline constexpr int kMinHnswEfSearch = 128;
inline constexpr int kHnswEfSearchPerK = 2;

// An faiss::IndexIDMap2 over an inner index built from a factory string with METRIC_INNER_PRODUCT.
//
// Locking: an RwLock (a std::shared_mutex that does not starve writers); Search, Contains and size
// take it shared, Add, Remove and Save exclusive. (FAISS 1.7.3 ignores
// SearchParametersHNSW::efSearch, so a Search whose k needs a larger HNSW efSearch than the index
// has briefly takes the lock exclusively to raise it; efSearch only grows.)
//
// Training: an index type that needs training (IVF, PQ, ...) is trained on the vectors of the first
// Add that finds it untrained. If FAISS refuses (too few vectors for the clusters), that Add is a
// FailedPrecondition and adds nothing. IVF searches use FAISS's default nprobe (1).
//
// Removal: for indexes that keep their vectors in one compacted array (Flat, PQ, SQ:
// IndexFlatCodes) FAISS's remove_ids compacts the array and the freed tail is zeroed. Other types
// (HNSW, IVF) cannot remove in place: the remaining vectors are reconstructed into a fresh inner
// index (the cost of a full rebuild, plus a transient copy of the kept vectors; lossy codes are
// re-encoded from their reconstruction) and the old one's stored codes are zeroed before it is
// freed. Only the index's own arrays are scrubbed; copies left in freed heap memory by earlier
// reallocations are not.
class FaissVectorIndex final : public VectorIndex {
 public:
  // REQUIRES: map is non-null, owns its inner index (own_fields) and uses inner product.
  FaissVectorIndex(std::string factory, std::unique_ptr<faiss::IndexIDMap2> map);

  int dim() const override { return dim_; }
  int64_t size() const override;
  std::string factory() const override { return factory_; }

  Status Add(std::span<const int64_t> ids, std::span<const float> vectors) override;
  Result<int64_t> Remove(std::span<const int64_t> ids) override;
  Result<std::vector<std::vector<Hit>>> Search(std::span<const float> queries,
                                               int k) const override;
  bool Contains(int64_t id) const override;
  Status Save(const std::filesystem::path& path, uint64_t generation) const override;

 private:
  // REQUIRES: mu_ held exclusively. `present` holds distinct ids that are in the index.
  Status TrainIfNeeded(int64_t n, const float* vectors);
  Result<int64_t> RemoveCompacting(const std::vector<int64_t>& present);
  Result<int64_t> RemoveByRebuild(const std::vector<int64_t>& present);
  // REQUIRES: mu_ held (shared suffices); 0 <= k <= size().
  Result<std::vector<std::vector<Hit>>> SearchLocked(const float* queries, int64_t n,
                                                     int64_t k) const;

  const std::string factory_;
  const int dim_;
  mutable RwLock mu_;
  std::unique_ptr<faiss::IndexIDMap2> map_;  // guarded by mu_
  // Not OK once a failed FAISS call has left id map and inner index out of step; every call then
  // returns it (the index must be rebuilt from the catalog). Guarded by mu_.
  Status broken_;
};

}  // namespace likeness::index
