// The vector index: maps our face ids to L2-normalised embeddings and answers top-k by inner
// product (= cosine). The catalog is the source of truth; an index is derived data that can always
// be rebuilt.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "likeness/status.h"

namespace likeness::index {

// Where a training sample came from, recorded with the codebooks trained on it.
struct TrainingProvenance {
  uint64_t sample_seed = 0;         // seed of the sampler that drew it (0: not sampled)
  uint64_t catalog_generation = 0;  // catalog generation when it was drawn (0: unknown)
};

// The version of an index's learned codebooks, as stored in its index file.
struct CodebookVersion {
  std::string kind;               // the index kind (factory string) that trained them
  uint32_t recipe = 0;            // version of the training recipe (e.g. kRerankCodebookVersion)
  uint64_t fingerprint = 0;       // first 8 bytes of a SHA-256 over the trained centroids
  int64_t sample_size = 0;        // vectors trained on
  TrainingProvenance provenance;  // zeros when trained on the first Add's vectors
};

struct Hit {
  int64_t id = 0;
  float score = 0;  // inner product; for unit vectors the cosine similarity
};

// Thread safety: Search may run concurrently with other Searches; Add/Remove/Save take an exclusive
// lock internally, so any mix of calls from several threads is safe. A waiting Add/Remove/Save is
// not starved by a stream of Searches (new Searches queue behind it).
class VectorIndex {
 public:
  virtual ~VectorIndex() = default;

  virtual int dim() const = 0;
  virtual int64_t size() const = 0;
  // The factory string this index was made from (e.g. "Flat", "HNSW32,Flat").
  virtual std::string factory() const = 0;

  // vectors holds ids.size() * dim() floats. An id already present is an AlreadyExists error and
  // nothing of the call is added. Any int64 is a valid id. Errors (nothing added): InvalidArgument
  // (count mismatch, NaN/infinity, an id twice in the call), AlreadyExists, FailedPrecondition (an
  // index type that needs training, e.g. IVF/PQ, is trained on the first Add's vectors; too few to
  // train it).
  virtual Status Add(std::span<const int64_t> ids, std::span<const float> vectors) = 0;
  // Removes the ids physically (the vectors' bytes do not stay in the index, not even as
  // tombstones). Unknown ids are ignored. Returns how many were removed. Flat indexes compact in
  // place; other types (HNSW, IVF) are rebuilt from the remaining vectors, so batch removals.
  virtual Result<int64_t> Remove(std::span<const int64_t> ids) = 0;
  // queries holds n * dim() floats; returns n lists of at most k hits, best first (fewer when the
  // index holds fewer than k). Errors: InvalidArgument (k < 1, a partial query, NaN/infinity).
  virtual Result<std::vector<std::vector<Hit>>> Search(std::span<const float> queries,
                                                       int k) const = 0;
  virtual bool Contains(int64_t id) const = 0;

  // Index kinds that learn codebooks (IVF-PQ with re-rank) ask for a training sample of this many
  // vectors (0: no training, or trained on the first Add). The caller draws it from the catalog
  // (e.g. a reservoir sample) and calls Train before the first Add; `provenance` is recorded with
  // the codebooks (see codebook()). Errors: InvalidArgument (a partial vector, too few vectors),
  // FailedPrecondition (already holds vectors).
  virtual int64_t TrainingSampleSize() const { return 0; }
  virtual Status Train(std::span<const float> /*sample*/,
                       const TrainingProvenance& /*provenance*/) {
    return Status::Ok();
  }
  // Releases spare capacity left by incremental Adds (growth slack of the kind's arrays), e.g.
  // after a bulk build. The contents and results do not change; later Adds grow the arrays again.
  // No-op for kinds without such slack.
  virtual void ShrinkToFit() {}

  // The codebooks' version once trained (kept across Save / LoadIndex); nullopt for kinds without
  // codebooks and before training.
  virtual std::optional<CodebookVersion> codebook() const { return std::nullopt; }

  // Persists atomically (write to a temp file, fsync, rename) with `generation` recorded in the
  // file so the caller can tell a stale index from a current one.
  virtual Status Save(const std::filesystem::path& path, uint64_t generation) const = 0;
};

// factory: "Flat" (exact, the default), "Exact[,fp16|int8]" (our SIMD store), "HNSW<M>[,ef=N]"
// (hnswlib, see hnsw_index.h), "IVF<n>,PQ<m>,rerank=fp16|int8" (FAISS IVF-PQ candidates re-ranked
// from a memory-mapped vector file, see rerank_index.h), "HNSW<M>,Flat" (FAISS), or any FAISS
// factory string whose index supports inner-product search. The index maps ids itself, so the
// string must not contain IDMap; HNSW M must be in [2, 512] and dim in [1, 65536]. Errors:
// InvalidArgument for a bad string or dim.
Result<std::unique_ptr<VectorIndex>> CreateIndex(std::string_view factory, int dim);

struct IndexOptions {
  // Where kinds that keep vectors on disk (IVF-PQ with re-rank) put their vector file until the
  // first Save (which moves it next to the index file). Empty: the system temp folder.
  std::filesystem::path scratch_dir;
};
Result<std::unique_ptr<VectorIndex>> CreateIndex(std::string_view factory, int dim,
                                                 const IndexOptions& options);

struct LoadedIndex {
  std::unique_ptr<VectorIndex> index;
  uint64_t generation = 0;
};

// Loads a file written by Save. Errors: NotFound (no file), Corruption (truncated, altered, wrong
// magic or checksum mismatch), Unsupported (a later file format version), IOError.
Result<LoadedIndex> LoadIndex(const std::filesystem::path& path);

}  // namespace likeness::index
