// VectorIndex over hnswlib's HNSW graph: "HNSW<M>" with optional ",ef=<efSearch>" and
// ",efc=<efConstruction>" (e.g. "HNSW32", "HNSW32,ef=128"). Distinct from FAISS's HNSW, which is
// spelled with a storage suffix ("HNSW32,Flat"). Internal to src/index; reached through CreateIndex
// / LoadIndex.
//
// Inner products are computed by our dispatched SIMD kernels (src/simd: AVX-512 / AVX2 / scalar
// chosen at run time), not hnswlib's compile-time ones, so the library stays baseline-x86-64.
//
// Deletion: Remove marks the vectors deleted (hnswlib tombstones: they stay in the graph as
// waypoints and are never returned) and, once tombstones exceed kHnswCompactFraction of the graph,
// starts a background compaction: a thread copies the live vectors under the shared lock, builds a
// fresh graph with no lock held (Searches, Adds and Removes go on against the old graph; Adds and
// Removes are also logged), then takes the exclusive lock briefly to replay the log onto the new
// graph and swap it in. A removed vector's bytes are overwritten with zeros at once (in the graph,
// and in the running compaction's log), so neither the graph in memory nor any file saved from it
// holds an erased vector; until the compaction, the tombstone's links stay (they name its former
// neighbours, not its vector). Copies in heap memory freed by earlier graph growth are not reached.
//
// Thread safety: as VectorIndex. Adds insert with up to hardware_concurrency threads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "index/vector_index.h"

namespace likeness::index {

inline constexpr int kDefaultHnswEfSearch = 128;
inline constexpr int kDefaultHnswEfConstruction = 200;
inline constexpr int kMaxHnswEf = 1 << 16;
// Tombstones above this fraction of the graph's nodes start a compaction.
inline constexpr double kHnswCompactFraction = 0.1;
// Below this many tombstones compaction is not worth a thread.
inline constexpr int64_t kHnswMinCompactTombstones = 64;

struct HnswParams {
  int m = 32;
  int ef_search = kDefaultHnswEfSearch;
  int ef_construction = kDefaultHnswEfConstruction;
};

// True when `factory` is meant for this module (starts "HNSW<digits>" and has no FAISS storage
// suffix such as ",Flat"), whether or not it is valid.
bool IsHnswlibFactory(std::string_view factory);
// Errors: InvalidArgument (bad number, unknown option, M outside [2, 512], ef outside [1, 65536]).
Result<HnswParams> ParseHnswFactory(std::string_view factory);

Result<std::unique_ptr<VectorIndex>> CreateHnswIndex(std::string_view factory, int dim);

bool LooksLikeHnswFile(const std::filesystem::path& path);
Result<LoadedIndex> LoadHnswIndex(const std::filesystem::path& path);

// Test and benchmark hooks on an index made by this module (nullptr-safe: false/0 otherwise).
// Blocks until no compaction is running; returns whether one ran since the last call.
bool WaitForHnswCompaction(VectorIndex* index);
// Tombstoned nodes in the current graph.
int64_t HnswTombstones(const VectorIndex* index);

}  // namespace likeness::index
