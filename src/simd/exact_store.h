// ExactStore: brute-force ("flat") inner-product search over id-mapped rows stored as fp32, fp16 or
// int8, scanned by the SIMD kernels in kernels.h. Exact for fp32; fp16/int8 trade a tiny ranking
// error for 2x/4x less memory traffic. This is the reference index and the default for small
// catalogs.
//
// Storage: rows live contiguously in insertion order (after swap-removes) in one buffer; `ids_[r]`
// is the id of row r and an open-addressing map takes an id to its row. Remove() is physical: the
// last row moves into the hole and the vacated slot is zeroed, so a removed vector's bytes do not
// stay in memory or in a saved file. Precision is fixed at creation; Add() converts from fp32
// (fp16: round to nearest even; int8: symmetric per-vector scale, see quantize.h).
//
// Search: a single query streams every row once through the dot kernel in blocks and keeps a top-k
// heap. A batch of queries is scored block by block so a row block is read from memory once for the
// whole batch: fp32 through OpenBLAS sgemm (query block x row block), fp16/int8 through the
// 2x4-tiled kernels. With SearchOptions::threads > 1 the rows are split into contiguous ranges, one
// per std::thread (the caller runs one), and the per-thread heaps are merged. The result order is
// exact and deterministic (score desc, then row order), independent of the thread count.
//
// BLAS threads: the fp32 batch path calls cblas_sgemm from every scanning thread; run the process
// with OPENBLAS_NUM_THREADS=1 (or openblas_set_num_threads(1) at start-up) so that `threads` is the
// only parallelism. Single-query search never calls BLAS.
//
// Thread safety: const methods may run concurrently; Add/Remove/ShrinkToFit need exclusive access
// (the VectorIndex adapter owns that lock).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "likeness/status.h"
#include "simd/id_map.h"
#include "simd/kernels.h"
#include "simd/row_buffer.h"
#include "simd/top_k.h"

namespace likeness::simd {

enum class Precision : uint32_t { kFp32 = 0, kFp16 = 1, kInt8 = 2 };

std::string_view PrecisionName(Precision precision);
// "fp32", "fp16", "int8"; nullopt otherwise.
std::optional<Precision> ParsePrecision(std::string_view name);
// Bytes a search reads per row: dim * {4, 2, 1}, plus the 4-byte scale for int8.
int64_t ScannedBytesPerRow(Precision precision, int64_t dim);

// The largest dimension a store accepts (the int8 path's exact int32 accumulation bound).
inline constexpr int kMaxDim = 65536;
// The most threads one search may use.
inline constexpr int kMaxSearchThreads = 256;

struct Hit {
  int64_t id = 0;
  float score = 0;  // inner product with the stored (converted) row
};

struct StoreOptions {
  Precision precision = Precision::kFp32;
  // Kernel variant; nullopt: DefaultKernels() (best for the CPU, or LIKENESS_SIMD). Forcing a level
  // the CPU cannot run is an Unsupported error.
  std::optional<SimdLevel> simd;
};

struct SearchOptions {
  // Threads scanning disjoint row ranges, the caller's included. Small stores use fewer (each
  // thread gets at least kMinRowsPerThread rows).
  int threads = 1;
};

class ExactStore {
 public:
  // Errors: InvalidArgument (dim outside [1, kMaxDim]), Unsupported (a forced SIMD level the CPU
  // lacks).
  static Result<ExactStore> Create(int dim, const StoreOptions& options = {});

  ExactStore(ExactStore&&) noexcept = default;
  ExactStore& operator=(ExactStore&&) noexcept = default;

  int dim() const { return dim_; }
  int64_t size() const { return static_cast<int64_t>(ids_.size()); }
  Precision precision() const { return precision_; }
  SimdLevel simd_level() const { return kernels_->level; }
  // The ids in row order (row r holds ids()[r]).
  std::span<const int64_t> ids() const { return ids_; }
  bool Contains(int64_t id) const { return index_.Find(id).has_value(); }
  // Heap bytes held: rows, scales, ids and the id map (capacities, not sizes).
  int64_t MemoryBytes() const;

  // vectors holds ids.size() * dim() floats. All or nothing. Errors: InvalidArgument (size
  // mismatch, non-finite value, |value| > 65504 for fp16), AlreadyExists (an id already stored or
  // repeated in `ids`), ResourceExhausted (allocation failed).
  Status Add(std::span<const int64_t> ids, std::span<const float> vectors);
  // Removes the ids physically (swap-remove); unknown and repeated ids are ignored. Returns the
  // number removed. Does not release memory; see ShrinkToFit.
  int64_t Remove(std::span<const int64_t> ids);
  // Makes room for `n` rows in total. Errors: ResourceExhausted.
  Status Reserve(int64_t n);
  // Releases spare capacity (e.g. after large removals).
  void ShrinkToFit();

  // The stored row of `id` converted back to fp32 (exact for fp32, dequantised otherwise).
  // Errors: NotFound.
  Result<std::vector<float>> Reconstruct(int64_t id) const;

  // queries holds nq * dim() floats; returns nq lists of min(k, size()) hits, best first.
  // Errors: InvalidArgument (size mismatch, non-finite value, k < 1, threads outside
  // [1, kMaxSearchThreads]).
  Result<std::vector<std::vector<Hit>>> Search(std::span<const float> queries, int64_t k,
                                               const SearchOptions& options = {}) const;

  // Writes the store atomically (temp file, fsync, rename, fsync of the folder). File format, all
  // integers little-endian:
  //   "LKXSTORE" | u32 version=1 | u32 precision | u32 dim | u32 reserved=0 | u64 count | u64
  //   generation | count x i64 ids | (int8 only) count x f32 scales | count rows of dim elements
  //   (f32/f16/i8) | 32-byte BLAKE2b (crypto_generichash) of everything before it.
  // Errors: IOError.
  Status Save(const std::filesystem::path& path, uint64_t generation = 0) const;

  struct Loaded;
  // Errors: NotFound (no file), Corruption (wrong magic, truncated or extended, bad header fields,
  // checksum mismatch, repeated ids), Unsupported (a newer format version, or a forced SIMD level
  // the CPU lacks), IOError.
  static Result<Loaded> Load(const std::filesystem::path& path,
                             std::optional<SimdLevel> simd = std::nullopt);

  // Rows per thread below which a search uses fewer threads.
  static constexpr int64_t kMinRowsPerThread = 16384;

 private:
  struct PreparedQueries;
  ExactStore(int dim, Precision precision, const Kernels* kernels);

  int64_t row_bytes() const;
  // Whether a batch of nq queries is scored with sgemm (fp32 batches) rather than the kernels.
  bool UsesGemm(int64_t nq) const;
  void ScanRange(const PreparedQueries& queries, int64_t begin, int64_t end,
                 std::vector<TopK>& heaps) const;
  void Score(const PreparedQueries& queries, int64_t q0, int64_t nq, int64_t r0, int64_t n,
             float* scores) const;

  int dim_;
  Precision precision_;
  const Kernels* kernels_;
  RowBuffer rows_;             // size() * row_bytes() bytes used
  std::vector<float> scales_;  // int8 only: one scale per row
  std::vector<int64_t> ids_;
  IdMap index_;
};

struct ExactStore::Loaded {
  ExactStore store;
  uint64_t generation = 0;
};

}  // namespace likeness::simd
