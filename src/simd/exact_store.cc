#include "simd/exact_store.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <system_error>
#include <thread>

#include "simd/half.h"
#include "simd/quantize.h"

namespace likeness::simd {
namespace {

// A single query scans this many rows per kernel call (scores stay in L1).
constexpr int64_t kSingleBlockRows = 1024;
// A batch scans row blocks of about this many bytes, so a block stays in L2 while every query of
// the batch is scored against it.
constexpr int64_t kBatchBlockBytes = int64_t{256} << 10;
// fp32 batches go through sgemm in row blocks of this many rows ...
constexpr int64_t kGemmBlockRows = 4096;
// ... once the batch has at least this many queries (below it the tiled kernel is as fast).
constexpr int64_t kGemmMinQueries = 8;
// Queries scored per kernel call in a batch ...
constexpr int64_t kQueryBlock = 64;
// ... and per sgemm call (larger blocks let OpenBLAS amortise packing the rows).
constexpr int64_t kGemmQueryBlock = 256;
// Thread ranges start at multiples of this many rows.
constexpr int64_t kRangeAlign = 64;

int64_t ElementBytes(Precision p) {
  switch (p) {
    case Precision::kFp32:
      return 4;
    case Precision::kFp16:
      return 2;
    case Precision::kInt8:
      return 1;
  }
  return 4;
}

Status CheckFinite(std::span<const float> values, int64_t dim, std::string_view what, float limit) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      return Status::InvalidArgument(std::string(what) + " " + std::to_string(i / dim) +
                                     " has a non-finite value");
    }
    if (std::fabs(values[i]) > limit) {
      return Status::InvalidArgument(std::string(what) + " " + std::to_string(i / dim) +
                                     " has a value outside the fp16 range");
    }
  }
  return Status::Ok();
}

}  // namespace

std::string_view PrecisionName(Precision precision) {
  switch (precision) {
    case Precision::kFp32:
      return "fp32";
    case Precision::kFp16:
      return "fp16";
    case Precision::kInt8:
      return "int8";
  }
  return "unknown";
}

std::optional<Precision> ParsePrecision(std::string_view name) {
  if (name == "fp32") return Precision::kFp32;
  if (name == "fp16") return Precision::kFp16;
  if (name == "int8") return Precision::kInt8;
  return std::nullopt;
}

int64_t ScannedBytesPerRow(Precision precision, int64_t dim) {
  return dim * ElementBytes(precision) + (precision == Precision::kInt8 ? 4 : 0);
}

// The queries in the form the kernels want: fp32 as given, plus int16 copies for int8 stores.
struct ExactStore::PreparedQueries {
  const float* f32 = nullptr;
  int64_t nq = 0;
  std::vector<int16_t> i16;
  std::vector<float> i16_scales;
};

ExactStore::ExactStore(int dim, Precision precision, const Kernels* kernels)
    : dim_(dim), precision_(precision), kernels_(kernels) {}

Result<ExactStore> ExactStore::Create(int dim, const StoreOptions& options) {
  if (dim < 1 || dim > kMaxDim) {
    return Status::InvalidArgument("dim must be in [1, " + std::to_string(kMaxDim) + "], got " +
                                   std::to_string(dim));
  }
  if (options.precision != Precision::kFp32 && options.precision != Precision::kFp16 &&
      options.precision != Precision::kInt8) {
    return Status::InvalidArgument("unknown precision");
  }
  const Kernels* kernels = &DefaultKernels();
  if (options.simd.has_value()) {
    kernels = KernelsFor(*options.simd);
    if (kernels == nullptr) {
      return Status::Unsupported("this CPU cannot run the " +
                                 std::string(SimdLevelName(*options.simd)) + " kernels");
    }
  }
  return ExactStore(dim, options.precision, kernels);
}

bool ExactStore::UsesGemm(int64_t nq) const {
  return precision_ == Precision::kFp32 && nq >= kGemmMinQueries;
}

int64_t ExactStore::row_bytes() const { return int64_t{dim_} * ElementBytes(precision_); }

int64_t ExactStore::MemoryBytes() const {
  return static_cast<int64_t>(rows_.capacity() + scales_.capacity() * sizeof(float) +
                              ids_.capacity() * sizeof(int64_t) + index_.MemoryBytes());
}

Status ExactStore::Reserve(int64_t n) {
  if (n <= size()) return Status::Ok();
  if (!rows_.Reserve(static_cast<size_t>(n * row_bytes()),
                     static_cast<size_t>(size() * row_bytes()))) {
    return Status::ResourceExhausted("cannot allocate rows for " + std::to_string(n) + " vectors");
  }
  ids_.reserve(static_cast<size_t>(n));
  if (precision_ == Precision::kInt8) scales_.reserve(static_cast<size_t>(n));
  index_.Reserve(n);
  return Status::Ok();
}

void ExactStore::ShrinkToFit() {
  const size_t used = static_cast<size_t>(size() * row_bytes());
  if (rows_.capacity() > used)
    (void)rows_.Resize(used, used);  // a failed shrink keeps the old buffer
  ids_.shrink_to_fit();
  scales_.shrink_to_fit();
}

Status ExactStore::Add(std::span<const int64_t> ids, std::span<const float> vectors) {
  const int64_t m = static_cast<int64_t>(ids.size());
  if (static_cast<int64_t>(vectors.size()) != m * dim_) {
    return Status::InvalidArgument("expected " + std::to_string(m * dim_) + " floats for " +
                                   std::to_string(m) + " ids, got " +
                                   std::to_string(vectors.size()));
  }
  if (m == 0) return Status::Ok();
  const float limit = precision_ == Precision::kFp16 ? kHalfMax : std::numeric_limits<float>::max();
  RETURN_IF_ERROR(CheckFinite(vectors, dim_, "vector", limit));
  std::vector<int64_t> sorted(ids.begin(), ids.end());
  std::sort(sorted.begin(), sorted.end());
  if (auto dup = std::adjacent_find(sorted.begin(), sorted.end()); dup != sorted.end()) {
    return Status::AlreadyExists("id " + std::to_string(*dup) + " appears twice in the batch");
  }
  for (int64_t id : ids) {
    if (Contains(id)) return Status::AlreadyExists("id " + std::to_string(id) + " already stored");
  }
  const int64_t old_size = size();
  if (old_size + m > static_cast<int64_t>(ids_.capacity())) {
    // Grow geometrically so that many small Adds stay amortised O(1).
    RETURN_IF_ERROR(Reserve(std::max(old_size + m, old_size + old_size / 2)));
  }
  uint8_t* dst = rows_.data() + old_size * row_bytes();
  switch (precision_) {
    case Precision::kFp32:
      std::memcpy(dst, vectors.data(), static_cast<size_t>(m * row_bytes()));
      break;
    case Precision::kFp16:
      kernels_->f32_to_f16(vectors.data(), m * dim_, reinterpret_cast<uint16_t*>(dst));
      break;
    case Precision::kInt8:
      for (int64_t i = 0; i < m; ++i) {
        scales_.push_back(QuantizeRowInt8(vectors.data() + i * dim_, dim_,
                                          reinterpret_cast<int8_t*>(dst) + i * dim_));
      }
      break;
  }
  for (int64_t i = 0; i < m; ++i) {
    ids_.push_back(ids[static_cast<size_t>(i)]);
    index_.Insert(ids[static_cast<size_t>(i)], old_size + i);
  }
  return Status::Ok();
}

int64_t ExactStore::Remove(std::span<const int64_t> ids) {
  int64_t removed = 0;
  const int64_t rb = row_bytes();
  for (int64_t id : ids) {
    const std::optional<int64_t> found = index_.Find(id);
    if (!found.has_value()) continue;
    const int64_t row = *found;
    const int64_t last = size() - 1;
    uint8_t* base = rows_.data();
    if (row != last) {
      std::memcpy(base + row * rb, base + last * rb, static_cast<size_t>(rb));
      ids_[static_cast<size_t>(row)] = ids_[static_cast<size_t>(last)];
      index_.Update(ids_[static_cast<size_t>(row)], row);
      if (precision_ == Precision::kInt8) {
        scales_[static_cast<size_t>(row)] = scales_[static_cast<size_t>(last)];
      }
    }
    // The vacated slot is wiped: no copy of a removed (or moved) vector stays behind.
    std::memset(base + last * rb, 0, static_cast<size_t>(rb));
    ids_.pop_back();
    if (precision_ == Precision::kInt8) scales_.pop_back();
    index_.Erase(id);
    ++removed;
  }
  return removed;
}

Result<std::vector<float>> ExactStore::Reconstruct(int64_t id) const {
  const std::optional<int64_t> row = index_.Find(id);
  if (!row.has_value()) return Status::NotFound("id " + std::to_string(id) + " is not stored");
  std::vector<float> out(static_cast<size_t>(dim_));
  const uint8_t* src = rows_.data() + *row * row_bytes();
  switch (precision_) {
    case Precision::kFp32:
      std::memcpy(out.data(), src, static_cast<size_t>(row_bytes()));
      break;
    case Precision::kFp16:
      kernels_->f16_to_f32(reinterpret_cast<const uint16_t*>(src), dim_, out.data());
      break;
    case Precision::kInt8:
      DequantizeRowInt8(reinterpret_cast<const int8_t*>(src), scales_[static_cast<size_t>(*row)],
                        dim_, out.data());
      break;
  }
  return out;
}

void ExactStore::Score(const PreparedQueries& queries, int64_t q0, int64_t nq, int64_t r0,
                       int64_t n, float* scores) const {
  const uint8_t* rows = rows_.data() + r0 * row_bytes();
  const float* q = queries.f32 + q0 * dim_;
  switch (precision_) {
    case Precision::kFp32:
      if (UsesGemm(queries.nq)) {
        // scores (nq x n) = Q (nq x dim) * R^T (dim x n)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(nq),
                    static_cast<int>(n), dim_, 1.0f, q, dim_, reinterpret_cast<const float*>(rows),
                    dim_, 0.0f, scores, static_cast<int>(n));
      } else {
        kernels_->dot_f32(q, nq, reinterpret_cast<const float*>(rows), n, dim_, scores, n);
      }
      break;
    case Precision::kFp16:
      kernels_->dot_f16(q, nq, reinterpret_cast<const uint16_t*>(rows), n, dim_, scores, n);
      break;
    case Precision::kInt8:
      kernels_->dot_i8(queries.i16.data() + q0 * dim_, queries.i16_scales.data() + q0, nq,
                       reinterpret_cast<const int8_t*>(rows), scales_.data() + r0, n, dim_, scores,
                       n);
      break;
  }
}

void ExactStore::ScanRange(const PreparedQueries& queries, int64_t begin, int64_t end,
                           std::vector<TopK>& heaps) const {
  const int64_t nq = queries.nq;
  const bool gemm = UsesGemm(nq);
  int64_t block = kSingleBlockRows;
  if (gemm) {
    block = kGemmBlockRows;
  } else if (nq > 1) {
    block = std::max<int64_t>(kRangeAlign, kBatchBlockBytes / row_bytes());
  }
  const int64_t query_block = std::min(nq, gemm ? kGemmQueryBlock : kQueryBlock);
  std::vector<float> scores(static_cast<size_t>(query_block * block));
  for (int64_t r0 = begin; r0 < end; r0 += block) {
    const int64_t n = std::min(block, end - r0);
    for (int64_t q0 = 0; q0 < nq; q0 += query_block) {
      const int64_t qn = std::min(query_block, nq - q0);
      Score(queries, q0, qn, r0, n, scores.data());
      for (int64_t j = 0; j < qn; ++j) {
        heaps[static_cast<size_t>(q0 + j)].PushBlock(scores.data() + j * n, n, r0);
      }
    }
  }
}

Result<std::vector<std::vector<Hit>>> ExactStore::Search(std::span<const float> queries, int64_t k,
                                                         const SearchOptions& options) const {
  if (queries.size() % static_cast<size_t>(dim_) != 0) {
    return Status::InvalidArgument("query floats (" + std::to_string(queries.size()) +
                                   ") are not a multiple of dim " + std::to_string(dim_));
  }
  if (k < 1) return Status::InvalidArgument("k must be >= 1, got " + std::to_string(k));
  if (options.threads < 1 || options.threads > kMaxSearchThreads) {
    return Status::InvalidArgument("threads must be in [1, " + std::to_string(kMaxSearchThreads) +
                                   "], got " + std::to_string(options.threads));
  }
  RETURN_IF_ERROR(CheckFinite(queries, dim_, "query", std::numeric_limits<float>::max()));
  const int64_t nq = static_cast<int64_t>(queries.size()) / dim_;
  std::vector<std::vector<Hit>> results(static_cast<size_t>(nq));
  if (nq == 0 || size() == 0) return results;

  PreparedQueries prepared;
  prepared.f32 = queries.data();
  prepared.nq = nq;
  if (precision_ == Precision::kInt8) {
    prepared.i16.resize(static_cast<size_t>(nq * dim_));
    prepared.i16_scales.resize(static_cast<size_t>(nq));
    for (int64_t q = 0; q < nq; ++q) {
      prepared.i16_scales[static_cast<size_t>(q)] =
          QuantizeQueryInt16(queries.data() + q * dim_, dim_, prepared.i16.data() + q * dim_);
    }
  }

  const int64_t kept = std::min(k, size());
  const int64_t threads =
      std::clamp<int64_t>(size() / kMinRowsPerThread, 1, int64_t{options.threads});
  std::vector<std::vector<TopK>> heaps(static_cast<size_t>(threads),
                                       std::vector<TopK>(static_cast<size_t>(nq), TopK(kept)));
  // Contiguous ranges, aligned so that no two threads share a cache line of rows.
  const int64_t per_thread = (size() + threads - 1) / threads;
  const int64_t step = (per_thread + kRangeAlign - 1) / kRangeAlign * kRangeAlign;
  auto range = [&](int64_t t) {
    return std::pair<int64_t, int64_t>{std::min(size(), t * step),
                                       std::min(size(), (t + 1) * step)};
  };
  std::vector<std::thread> workers;
  for (int64_t t = 1; t < threads; ++t) {
    const auto bounds = range(t);  // not a structured binding: C++20 lambdas may not capture those
    const int64_t begin = bounds.first, end = bounds.second;
    std::vector<TopK>& mine = heaps[static_cast<size_t>(t)];
    try {
      workers.emplace_back(
          [this, &prepared, begin, end, &mine] { ScanRange(prepared, begin, end, mine); });
    } catch (const std::system_error&) {
      ScanRange(prepared, begin, end, mine);  // no thread available: scan it here
    }
  }
  {
    const auto [begin, end] = range(0);
    ScanRange(prepared, begin, end, heaps[0]);
  }
  for (std::thread& w : workers) w.join();

  for (int64_t q = 0; q < nq; ++q) {
    TopK& merged = heaps[0][static_cast<size_t>(q)];
    for (int64_t t = 1; t < threads; ++t) {
      merged.Merge(heaps[static_cast<size_t>(t)][static_cast<size_t>(q)]);
    }
    std::vector<Hit>& out = results[static_cast<size_t>(q)];
    out.reserve(static_cast<size_t>(kept));
    for (const Candidate& c : merged.Take()) {
      out.push_back(Hit{ids_[static_cast<size_t>(c.row)], c.score});
    }
  }
  return results;
}

}  // namespace likeness::simd
