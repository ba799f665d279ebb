// "IVF<nlist>,PQ<m>,rerank=fp16|int8[,nprobe=<p>][,cand=<c>]": FAISS IVF-PQ in RAM proposes
// candidates, which are re-ranked exactly from fp16 or int8 copies of the vectors in a
// memory-mapped file on disk. Internal to src/index; reached through CreateIndex / LoadIndex.
//
// RAM per face: the PQ code (m bytes) + the IVF list's 8-byte label + an 8-byte row->id entry + a
// deletion bit, ~80 B at PQ64; the vector file (2*dim or dim+4 bytes a face) is left to the page
// cache. IVF labels are row numbers in the vector file; rows are looked up by id with a binary
// search while ids arrive in increasing order (the catalog's face ids do), else through a hash map
// built on the first out-of-order Add.
//
// Training: TrainingSampleSize() vectors (kRerankTrainPerList per list) via Train, or the first
// Add's vectors when Train was not called. The codebooks carry a version (CodebookVersion, in the
// index file since file version 2): the training kind, kRerankCodebookVersion (the recipe), a
// fingerprint of the trained centroids, the sample size and the sample's provenance (sampler seed,
// catalog generation). A file whose recipe version differs loads as FailedPrecondition, so the
// engine rebuilds (re-trains) it from the catalog. Version-1 files load with a zero sample size and
// provenance.
//
// Removal: the row's PQ code is overwritten with zeros in its IVF list and then removed from it,
// and the row is marked deleted and zeroed in the vector file (fsynced by the next Save), so no
// erased vector stays in memory, in the index file or in the vector file.
//
// Files: Save(path) writes the index to `path` and the vectors to `path` + ".vec" (moved there from
// the scratch folder on the first Save, appended in place afterwards).
//
// Thread safety: as VectorIndex (an RwLock; Search shared, writes exclusive).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "index/vector_index.h"

namespace likeness::index {

inline constexpr uint32_t kRerankCodebookVersion = 1;
inline constexpr int kRerankTrainPerList = 32;
inline constexpr int kMinRerankTrain =
    10000;  // PQ needs 256 points per sub-quantizer and then some
// Search defaults (bench/index/README.md, "Choosing nprobe and cand"). On the synthetic identity
// model, nprobe is what buys top-1 and identity@1: at 1M faces in 4096 lists, 32 -> 128 lists took
// identity@1 from 0.945 to 0.980 (real demo faces: 0.879 -> 0.985) and R@1 from 0.80 to 0.945, for
// ~0.8 ms more (p50 1.4 -> 2.1 ms). Candidates beyond 100 buy almost nothing (R@10 +0.016 at 1000,
// R@1 and identity@1 unchanged), and each one is a random read of the vector file, i.e. a disk read
// at 100M faces. The rest of R@10 (~0.6) is the probe's unrelated "neighbours" at cosine ~0.2,
// which no IVF partition localises.
inline constexpr int kDefaultRerankNprobe = 128;      // capped at nlist
inline constexpr int kDefaultRerankCandidates = 100;  // at least; also 10 per requested hit

enum class RerankPrecision { kFp16, kInt8 };

struct RerankParams {
  int nlist = 0;
  int pq_m = 0;
  RerankPrecision precision = RerankPrecision::kFp16;
  int nprobe = kDefaultRerankNprobe;
  int candidates = kDefaultRerankCandidates;
};

bool IsRerankFactory(std::string_view factory);
// Changes the search settings of an index made by CreateRerankIndex / LoadRerankIndex (nprobe is
// capped at nlist), for this process only: Save keeps the factory string, so a reload gets the
// string's settings back. For benchmarks sweeping the trade-off on one built index. Errors:
// InvalidArgument (not a re-rank index, nprobe < 1, candidates outside [1, 65536]).
Status SetRerankSearch(VectorIndex& index, int nprobe, int candidates);
// Errors: InvalidArgument (syntax, bounds, PQ m not dividing dim).
Result<RerankParams> ParseRerankFactory(std::string_view factory, int dim);

Result<std::unique_ptr<VectorIndex>> CreateRerankIndex(std::string_view factory, int dim,
                                                       const IndexOptions& options);
std::filesystem::path RerankVectorPath(const std::filesystem::path& index_path);
bool LooksLikeRerankFile(const std::filesystem::path& path);
Result<LoadedIndex> LoadRerankIndex(const std::filesystem::path& path);

}  // namespace likeness::index
