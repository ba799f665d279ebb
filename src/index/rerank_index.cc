#include "index/rerank_index.h"

#include <faiss/IndexFlatCodes.h>
#include <faiss/IndexIVFPQ.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>
#include <faiss/invlists/InvertedLists.h>
#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "index/checked_file.h"
#include "index/factory.h"
#include "index/faiss_guard.h"
#include "index/row_file.h"
#include "index/rw_lock.h"
#include "simd/kernels.h"
#include "simd/quantize.h"

namespace likeness::index {
namespace {

using FaissId = faiss::Index::idx_t;

constexpr std::string_view kRerankMagic = "LKIVFRR1";
// 1: no training provenance; 2: + sample size, sampler seed, catalog generation, training kind.
constexpr uint32_t kRerankFileVersion = 2;
constexpr int kRerankPerK = 10;
constexpr int kMaxRerankCandidates = 1 << 16;
constexpr int kMaxPqM = 1024;

bool AllFinite(std::span<const float> values) {
  return std::all_of(values.begin(), values.end(), [](float v) { return std::isfinite(v); });
}

bool ParseInt(std::string_view s, int& out) {
  if (s.empty()) return false;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

size_t RowBytes(RerankPrecision p, int dim) {
  return p == RerankPrecision::kFp16 ? 2 * static_cast<size_t>(dim)
                                     : static_cast<size_t>(dim) + sizeof(float);
}

// faiss::IOWriter / IOReader over our checksummed files.
class WriterAdapter final : public faiss::IOWriter {
 public:
  explicit WriterAdapter(AtomicFileWriter& out) : out_(out) {}
  size_t operator()(const void* ptr, size_t size, size_t nitems) override {
    if (size == 0 || nitems == 0) return nitems;
    if (!status_.ok()) return 0;
    status_ = out_.Write(ptr, size * nitems);
    return status_.ok() ? nitems : 0;
  }
  const Status& status() const { return status_; }

 private:
  AtomicFileWriter& out_;
  Status status_;
};

class ReaderAdapter final : public faiss::IOReader {
 public:
  explicit ReaderAdapter(CheckedFileReader& in) : in_(in) {}
  size_t operator()(void* ptr, size_t size, size_t nitems) override {
    if (size == 0 || nitems == 0) return nitems;
    const size_t fit = static_cast<size_t>(std::min<uint64_t>(nitems, in_.remaining() / size));
    return in_.Read(ptr, fit * size).ok() ? fit : 0;
  }

 private:
  CheckedFileReader& in_;
};

// The first 8 bytes of a SHA-256 over the coarse centroids and the PQ codebooks.
uint64_t Fingerprint(const faiss::IndexIVFPQ& ivf) {
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  if (const auto* flat = dynamic_cast<const faiss::IndexFlatCodes*>(ivf.quantizer)) {
    crypto_hash_sha256_update(&state, flat->codes.data(), flat->codes.size());
  }
  crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(ivf.pq.centroids.data()),
                            ivf.pq.centroids.size() * sizeof(float));
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state, digest);
  uint64_t id = 0;
  std::memcpy(&id, digest, sizeof(id));
  return id;
}

struct Scored {
  float score;
  int64_t row;
};

class RerankVectorIndex final : public VectorIndex {
 public:
  RerankVectorIndex(std::string factory, RerankParams params, int dim,
                    std::unique_ptr<faiss::IndexIVFPQ> ivf, std::unique_ptr<RowFile> rows)
      : factory_(std::move(factory)),
        params_(params),
        dim_(dim),
        row_bytes_(RowBytes(params.precision, dim)),
        kernels_(simd::DefaultKernels()),
        ivf_(std::move(ivf)),
        rows_(std::move(rows)) {
    ivf_->nprobe = static_cast<size_t>(params_.nprobe);
    codebook_.kind = factory_;
    codebook_.recipe = kRerankCodebookVersion;
    if (ivf_->is_trained) codebook_.fingerprint = Fingerprint(*ivf_);
  }

  // For LoadRerankIndex: the row table and codebook version read from the file.
  void Restore(std::vector<int64_t> row_ids, std::vector<bool> deleted, CodebookVersion codebook) {
    row_ids_ = std::move(row_ids);
    deleted_ = std::move(deleted);
    codebook_ = std::move(codebook);
    live_ = 0;
    for (size_t r = 0; r < row_ids_.size(); ++r) live_ += deleted_[r] ? 0 : 1;
    sorted_ = std::adjacent_find(row_ids_.begin(), row_ids_.end(),
                                 [](int64_t a, int64_t b) { return a >= b; }) == row_ids_.end();
    if (!sorted_) BuildLookup();
  }

  int dim() const override { return dim_; }
  int64_t size() const override {
    const auto lock = mu_.Read();
    return live_;
  }
  std::string factory() const override { return factory_; }
  int64_t TrainingSampleSize() const override {
    return std::max<int64_t>(int64_t{kRerankTrainPerList} * params_.nlist, kMinRerankTrain);
  }
  Status Train(std::span<const float> sample, const TrainingProvenance& provenance) override;
  std::optional<CodebookVersion> codebook() const override {
    const auto lock = mu_.Read();
    if (!ivf_->is_trained) return std::nullopt;
    return codebook_;
  }
  Status Add(std::span<const int64_t> ids, std::span<const float> vectors) override;
  Result<int64_t> Remove(std::span<const int64_t> ids) override;
  Result<std::vector<std::vector<Hit>>> Search(std::span<const float> queries,
                                               int k) const override;
  bool Contains(int64_t id) const override {
    const auto lock = mu_.Read();
    return FindRow(id).has_value();
  }
  Status Save(const std::filesystem::path& path, uint64_t generation) const override;
  void ShrinkToFit() override {
    const auto lock = mu_.Write();
    if (auto* lists = dynamic_cast<faiss::ArrayInvertedLists*>(ivf_->invlists)) {
      for (auto& codes : lists->codes) codes.shrink_to_fit();
      for (auto& ids : lists->ids) ids.shrink_to_fit();
    }
    row_ids_.shrink_to_fit();
    deleted_.shrink_to_fit();
  }
  void SetSearch(int nprobe, int candidates) {
    const auto lock = mu_.Write();
    params_.nprobe = std::min(nprobe, params_.nlist);
    params_.candidates = candidates;
    ivf_->nprobe = static_cast<size_t>(params_.nprobe);
  }

 private:
  // REQUIRES: mu_ held (shared suffices for FindRow).
  std::optional<int64_t> FindRow(int64_t id) const;
  void BuildLookup();
  // Overwrites the PQ codes of these rows in the inverted lists with zeros (before remove_ids moves
  // entries around: FAISS fills a removed slot with its list's last entry and leaves the bytes past
  // the new end in place, so a removed list-tail code would otherwise stay in memory).
  void ZeroCodesOf(const std::vector<FaissId>& rows);
  Status TrainLocked(int64_t n, const float* x, const TrainingProvenance& provenance);
  void Encode(const float* v, uint8_t* out) const;
  float Score(const float* query, const int16_t* query16, float query_scale, int64_t row) const;

  const std::string factory_;
  RerankParams params_;  // nprobe and candidates change under mu_ (SetSearch); the rest is fixed
  const int dim_;
  const size_t row_bytes_;
  const simd::Kernels& kernels_;
  mutable RwLock mu_;
  // All guarded by mu_. Save moves the vector file, hence the exclusive lock it takes.
  std::unique_ptr<faiss::IndexIVFPQ> ivf_;
  std::unique_ptr<RowFile> rows_;
  std::vector<int64_t> row_ids_;  // row -> id
  std::vector<bool> deleted_;     // row -> removed
  int64_t live_ = 0;
  bool sorted_ = true;  // row_ids_ strictly increasing: FindRow binary-searches
  std::unordered_map<int64_t, int64_t> lookup_;  // id -> live row, when !sorted_
  CodebookVersion codebook_;                     // fingerprint etc. valid once ivf_ is trained
  Status broken_;
};

std::optional<int64_t> RerankVectorIndex::FindRow(int64_t id) const {
  if (sorted_) {
    const auto it = std::lower_bound(row_ids_.begin(), row_ids_.end(), id);
    if (it == row_ids_.end() || *it != id) return std::nullopt;
    const auto row = static_cast<int64_t>(it - row_ids_.begin());
    if (deleted_[static_cast<size_t>(row)]) return std::nullopt;
    return row;
  }
  const auto it = lookup_.find(id);
  if (it == lookup_.end()) return std::nullopt;
  return it->second;
}

void RerankVectorIndex::BuildLookup() {
  lookup_.clear();
  lookup_.reserve(static_cast<size_t>(live_));
  for (size_t r = 0; r < row_ids_.size(); ++r) {
    if (!deleted_[r]) lookup_[row_ids_[r]] = static_cast<int64_t>(r);
  }
}

void RerankVectorIndex::ZeroCodesOf(const std::vector<FaissId>& rows) {
  auto* lists = dynamic_cast<faiss::ArrayInvertedLists*>(ivf_->invlists);
  if (lists == nullptr) return;
  const std::unordered_set<FaissId> gone(rows.begin(), rows.end());
  const size_t code_size = lists->code_size;
  for (size_t l = 0; l < lists->nlist; ++l) {
    const auto& ids = lists->ids[l];
    for (size_t j = 0; j < ids.size(); ++j) {
      if (gone.count(ids[j]) > 0) sodium_memzero(lists->codes[l].data() + j * code_size, code_size);
    }
  }
}

void RerankVectorIndex::Encode(const float* v, uint8_t* out) const {
  if (params_.precision == RerankPrecision::kFp16) {
    kernels_.f32_to_f16(v, dim_, reinterpret_cast<uint16_t*>(out));
  } else {
    const float scale =
        simd::QuantizeRowInt8(v, dim_, reinterpret_cast<int8_t*>(out + sizeof(float)));
    std::memcpy(out, &scale, sizeof(scale));
  }
}

float RerankVectorIndex::Score(const float* query, const int16_t* query16, float query_scale,
                               int64_t row) const {
  const uint8_t* bytes = rows_->row(row);
  float score = 0;
  if (params_.precision == RerankPrecision::kFp16) {
    kernels_.dot_f16(query, 1, reinterpret_cast<const uint16_t*>(bytes), 1, dim_, &score, 1);
  } else {
    float scale = 0;
    std::memcpy(&scale, bytes, sizeof(scale));
    kernels_.dot_i8(query16, &query_scale, 1,
                    reinterpret_cast<const int8_t*>(bytes + sizeof(float)), &scale, 1, dim_, &score,
                    1);
  }
  return score;
}

Status RerankVectorIndex::TrainLocked(int64_t n, const float* x,
                                      const TrainingProvenance& provenance) {
  const int64_t needed = std::max<int64_t>({params_.nlist, 256, 1});
  if (n < needed) {
    return Status::FailedPrecondition("index \"" + factory_ + "\" needs at least " +
                                      std::to_string(needed) + " vectors to train, got " +
                                      std::to_string(n));
  }
  Status trained =
      GuardFaiss("training", StatusCode::kFailedPrecondition, [&] { ivf_->train(n, x); });
  if (trained.ok() && !ivf_->is_trained) trained = Status::FailedPrecondition("training failed");
  RETURN_IF_ERROR(trained);
  codebook_ = {.kind = factory_,
               .recipe = kRerankCodebookVersion,
               .fingerprint = Fingerprint(*ivf_),
               .sample_size = n,
               .provenance = provenance};
  return Status::Ok();
}

Status RerankVectorIndex::Train(std::span<const float> sample,
                                const TrainingProvenance& provenance) {
  if (sample.size() % dim_ != 0) return Status::InvalidArgument("Train: a partial vector");
  if (!AllFinite(sample)) return Status::InvalidArgument("Train: a vector has a NaN or infinity");
  const auto lock = mu_.Write();
  if (!row_ids_.empty())
    return Status::FailedPrecondition("Train: the index already holds vectors");
  return TrainLocked(static_cast<int64_t>(sample.size() / dim_), sample.data(), provenance);
}

Status RerankVectorIndex::Add(std::span<const int64_t> ids, std::span<const float> vectors) {
  if (vectors.size() % dim_ != 0 || vectors.size() / dim_ != ids.size()) {
    return Status::InvalidArgument("Add: " + std::to_string(ids.size()) + " ids but " +
                                   std::to_string(vectors.size()) + " floats (dim " +
                                   std::to_string(dim_) + ")");
  }
  if (!AllFinite(vectors)) return Status::InvalidArgument("Add: a vector has a NaN or infinity");
  if (std::unordered_set<int64_t>(ids.begin(), ids.end()).size() != ids.size()) {
    return Status::InvalidArgument("Add: an id appears twice in one call");
  }
  const auto lock = mu_.Write();
  RETURN_IF_ERROR(broken_);
  for (const int64_t id : ids) {
    if (FindRow(id))
      return Status::AlreadyExists("id " + std::to_string(id) + " is already in the index");
  }
  if (ids.empty()) return Status::Ok();
  const auto n = static_cast<int64_t>(ids.size());
  if (!ivf_->is_trained) RETURN_IF_ERROR(TrainLocked(n, vectors.data(), {}));

  std::vector<uint8_t> encoded(static_cast<size_t>(n) * row_bytes_);
  for (int64_t i = 0; i < n; ++i) {
    Encode(vectors.data() + i * dim_, encoded.data() + static_cast<size_t>(i) * row_bytes_);
  }
  const auto first = static_cast<int64_t>(row_ids_.size());
  std::vector<FaissId> labels(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) labels[static_cast<size_t>(i)] = first + i;
  RETURN_IF_ERROR(rows_->Append(encoded.data(), n));
  const Status added = GuardFaiss("adding to the IVF-PQ index", StatusCode::kInternal,
                                  [&] { ivf_->add_with_ids(n, vectors.data(), labels.data()); });
  if (!added.ok()) {
    broken_ = Status::Internal("index left inconsistent by a failed add (" + added.ToString() +
                               "); rebuild it");
    return added;
  }
  for (int64_t i = 0; i < n; ++i) {
    const int64_t id = ids[static_cast<size_t>(i)];
    if (sorted_ && !row_ids_.empty() && id <= row_ids_.back()) {
      sorted_ = false;
      BuildLookup();
    }
    row_ids_.push_back(id);
    deleted_.push_back(false);
    if (!sorted_) lookup_[id] = first + i;
  }
  live_ += n;
  return Status::Ok();
}

Result<int64_t> RerankVectorIndex::Remove(std::span<const int64_t> ids) {
  const auto lock = mu_.Write();
  RETURN_IF_ERROR(broken_);
  std::vector<FaissId> rows;
  for (const int64_t id : ids) {
    const auto row = FindRow(id);
    if (!row) continue;
    rows.push_back(*row);
    deleted_[static_cast<size_t>(*row)] = true;
    if (!sorted_) lookup_.erase(id);
  }
  if (rows.empty()) return int64_t{0};
  live_ -= static_cast<int64_t>(rows.size());
  ZeroCodesOf(rows);
  const Status removed = GuardFaiss("removing from the IVF-PQ index", StatusCode::kInternal, [&] {
    const faiss::IDSelectorBatch selector(rows.size(), rows.data());
    ivf_->remove_ids(selector);
  });
  if (!removed.ok()) {
    broken_ = Status::Internal("index left inconsistent by a failed remove (" + removed.ToString() +
                               "); rebuild it");
    return removed;
  }
  for (const FaissId row : rows) RETURN_IF_ERROR(rows_->Zero(row));
  return static_cast<int64_t>(rows.size());
}

Result<std::vector<std::vector<Hit>>> RerankVectorIndex::Search(std::span<const float> queries,
                                                                int k) const {
  if (k < 1) {
    return Status::InvalidArgument("Search: k must be at least 1, got " + std::to_string(k));
  }
  if (queries.size() % dim_ != 0) {
    return Status::InvalidArgument("Search: a partial query (" + std::to_string(queries.size()) +
                                   " floats, dim " + std::to_string(dim_) + ")");
  }
  if (!AllFinite(queries)) return Status::InvalidArgument("Search: a query has a NaN or infinity");
  const auto n = static_cast<int64_t>(queries.size() / dim_);
  std::vector<std::vector<Hit>> out(static_cast<size_t>(n));
  const auto lock = mu_.Read();
  RETURN_IF_ERROR(broken_);
  if (live_ == 0 || n == 0) return out;
  const int64_t cand = std::min<int64_t>(
      std::max<int64_t>(params_.candidates, int64_t{kRerankPerK} * k), kMaxRerankCandidates);
  std::vector<float> distances(static_cast<size_t>(n * cand));
  std::vector<FaissId> labels(static_cast<size_t>(n * cand));
  RETURN_IF_ERROR(GuardFaiss("searching the IVF-PQ index", StatusCode::kInternal, [&] {
    ivf_->search(n, queries.data(), cand, distances.data(), labels.data());
  }));
  std::vector<int16_t> query16(params_.precision == RerankPrecision::kInt8 ? dim_ : 0);
  std::vector<Scored> scored;
  for (int64_t q = 0; q < n; ++q) {
    const float* query = queries.data() + q * dim_;
    float query_scale = 0;
    if (!query16.empty()) query_scale = simd::QuantizeQueryInt16(query, dim_, query16.data());
    scored.clear();
    for (int64_t j = 0; j < cand; ++j) {
      const FaissId row = labels[static_cast<size_t>(q * cand + j)];
      if (row < 0 || row >= rows_->rows() || deleted_[static_cast<size_t>(row)]) continue;
      scored.push_back({Score(query, query16.data(), query_scale, row), row});
    }
    const size_t keep = std::min(scored.size(), static_cast<size_t>(k));
    std::partial_sort(scored.begin(), scored.begin() + static_cast<ptrdiff_t>(keep), scored.end(),
                      [](const Scored& a, const Scored& b) {
                        return a.score != b.score ? a.score > b.score : a.row < b.row;
                      });
    auto& hits = out[static_cast<size_t>(q)];
    hits.reserve(keep);
    for (size_t j = 0; j < keep; ++j) {
      hits.push_back({row_ids_[static_cast<size_t>(scored[j].row)], scored[j].score});
    }
  }
  return out;
}

Status RerankVectorIndex::Save(const std::filesystem::path& path, uint64_t generation) const {
  const auto lock = mu_.Write();
  RETURN_IF_ERROR(broken_);
  RETURN_IF_ERROR(rows_->PersistAs(RerankVectorPath(path)));
  ASSIGN_OR_RETURN(std::unique_ptr<AtomicFileWriter> out, AtomicFileWriter::Open(path));
  RETURN_IF_ERROR(out->Write(kRerankMagic.data(), kRerankMagic.size()));
  RETURN_IF_ERROR(out->WriteValue(kRerankFileVersion));
  RETURN_IF_ERROR(out->WriteValue(generation));
  RETURN_IF_ERROR(out->WriteString(factory_));
  RETURN_IF_ERROR(out->WriteValue(static_cast<uint32_t>(dim_)));
  RETURN_IF_ERROR(out->WriteValue(codebook_.recipe));
  RETURN_IF_ERROR(out->WriteValue(codebook_.fingerprint));
  RETURN_IF_ERROR(out->WriteValue(codebook_.sample_size));
  RETURN_IF_ERROR(out->WriteValue(codebook_.provenance.sample_seed));
  RETURN_IF_ERROR(out->WriteValue(codebook_.provenance.catalog_generation));
  RETURN_IF_ERROR(out->WriteString(codebook_.kind));
  RETURN_IF_ERROR(out->WriteValue(static_cast<uint64_t>(row_ids_.size())));
  RETURN_IF_ERROR(out->Write(row_ids_.data(), row_ids_.size() * sizeof(int64_t)));
  std::vector<uint8_t> bits((row_ids_.size() + 7) / 8);
  for (size_t r = 0; r < deleted_.size(); ++r) {
    if (deleted_[r]) bits[r / 8] = static_cast<uint8_t>(bits[r / 8] | (1u << (r % 8)));
  }
  RETURN_IF_ERROR(out->Write(bits.data(), bits.size()));
  WriterAdapter writer(*out);
  const Status payload = GuardFaiss("serializing the IVF-PQ index", StatusCode::kInternal,
                                    [&] { faiss::write_index(ivf_.get(), &writer); });
  RETURN_IF_ERROR(writer.status());
  RETURN_IF_ERROR(payload);
  return out->Commit();
}

Result<std::unique_ptr<faiss::IndexIVFPQ>> NewIvfPq(const RerankParams& p, int dim) {
  const std::string spec = "IVF" + std::to_string(p.nlist) + ",PQ" + std::to_string(p.pq_m);
  ASSIGN_OR_RETURN(std::unique_ptr<faiss::Index> inner, MakeInnerIndex(spec, dim));
  auto* ivf = dynamic_cast<faiss::IndexIVFPQ*>(inner.get());
  if (ivf == nullptr) return Status::Internal("\"" + spec + "\" did not build an IndexIVFPQ");
  static_cast<void>(inner.release());
  // Polysemous training (the factory's default) optimises codes for Hamming filtering, which we do
  // not use; it takes minutes.
  ivf->do_polysemous_training = false;
  return std::unique_ptr<faiss::IndexIVFPQ>(ivf);
}

}  // namespace

Status SetRerankSearch(VectorIndex& index, int nprobe, int candidates) {
  auto* rerank = dynamic_cast<RerankVectorIndex*>(&index);
  if (rerank == nullptr) {
    return Status::InvalidArgument("SetRerankSearch: \"" + index.factory() +
                                   "\" is not an IVF-PQ re-rank index");
  }
  if (nprobe < 1 || candidates < 1 || candidates > kMaxRerankCandidates) {
    return Status::InvalidArgument("SetRerankSearch: nprobe must be >= 1 and candidates in [1, " +
                                   std::to_string(kMaxRerankCandidates) + "]");
  }
  rerank->SetSearch(nprobe, candidates);
  return Status::Ok();
}

bool IsRerankFactory(std::string_view factory) {
  return factory.substr(0, 3) == "IVF" && factory.find(",rerank=") != std::string_view::npos;
}

Result<RerankParams> ParseRerankFactory(std::string_view factory, int dim) {
  const auto bad = [&](const std::string& why) {
    return Status::InvalidArgument(
        "index kind \"" + std::string(factory) + "\": " + why +
        " (expected IVF<n>,PQ<m>,rerank=fp16|int8[,nprobe=<p>][,cand=<c>])");
  };
  if (dim < 1 || dim > kMaxDim) return bad("bad dimension " + std::to_string(dim));
  RerankParams p;
  bool has_rerank = false;
  std::vector<std::string_view> parts;
  for (size_t pos = 0; pos <= factory.size();) {
    const size_t comma = std::min(factory.find(',', pos), factory.size());
    parts.push_back(factory.substr(pos, comma - pos));
    pos = comma + 1;
  }
  if (parts.size() < 3 || parts[0].substr(0, 3) != "IVF" || parts[1].substr(0, 2) != "PQ") {
    return bad("malformed");
  }
  if (!ParseInt(parts[0].substr(3), p.nlist) || p.nlist < 1 || p.nlist > kMaxIvfLists) {
    return bad("IVF list count must be in [1, " + std::to_string(kMaxIvfLists) + "]");
  }
  if (!ParseInt(parts[1].substr(2), p.pq_m) || p.pq_m < 1 || p.pq_m > kMaxPqM ||
      dim % p.pq_m != 0) {
    return bad("PQ<m> must divide the dimension " + std::to_string(dim));
  }
  for (size_t i = 2; i < parts.size(); ++i) {
    const std::string_view part = parts[i];
    const size_t eq = part.find('=');
    if (eq == std::string_view::npos)
      return bad("option \"" + std::string(part) + "\" has no value");
    const std::string_view key = part.substr(0, eq), value = part.substr(eq + 1);
    int number = 0;
    if (key == "rerank" && (value == "fp16" || value == "int8")) {
      p.precision = value == "fp16" ? RerankPrecision::kFp16 : RerankPrecision::kInt8;
      has_rerank = true;
    } else if (key == "nprobe" && ParseInt(value, number) && number >= 1 && number <= p.nlist) {
      p.nprobe = number;
    } else if (key == "cand" && ParseInt(value, number) && number >= 1 &&
               number <= kMaxRerankCandidates) {
      p.candidates = number;
    } else {
      return bad("bad option \"" + std::string(part) + "\"");
    }
  }
  if (!has_rerank) return bad("rerank=fp16 or rerank=int8 is required");
  p.nprobe = std::min(p.nprobe, p.nlist);
  return p;
}

std::filesystem::path RerankVectorPath(const std::filesystem::path& index_path) {
  return index_path.string() + ".vec";
}

Result<std::unique_ptr<VectorIndex>> CreateRerankIndex(std::string_view factory, int dim,
                                                       const IndexOptions& options) {
  ASSIGN_OR_RETURN(const RerankParams params, ParseRerankFactory(factory, dim));
  ASSIGN_OR_RETURN(std::unique_ptr<faiss::IndexIVFPQ> ivf, NewIvfPq(params, dim));
  const std::filesystem::path dir =
      options.scratch_dir.empty() ? std::filesystem::temp_directory_path() : options.scratch_dir;
  ASSIGN_OR_RETURN(std::unique_ptr<RowFile> rows,
                   RowFile::CreateTemp(dir, RowBytes(params.precision, dim)));
  return std::unique_ptr<VectorIndex>(std::make_unique<RerankVectorIndex>(
      std::string(factory), params, dim, std::move(ivf), std::move(rows)));
}

bool LooksLikeRerankFile(const std::filesystem::path& path) {
  return FileStartsWith(path, kRerankMagic);
}

Result<LoadedIndex> LoadRerankIndex(const std::filesystem::path& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<CheckedFileReader> in,
                   CheckedFileReader::Open(path, kRerankMagic));
  const auto corrupt = [&](const std::string& what) {
    return Status::Corruption(path.string() + ": " + what);
  };
  uint32_t version = 0, dim = 0, codebook_version = 0;
  RETURN_IF_ERROR(in->ReadValue(version));
  if (version != 1 && version != kRerankFileVersion) {
    return Status::Unsupported(path.string() + ": IVF-PQ file format version " +
                               std::to_string(version));
  }
  LoadedIndex loaded;
  RETURN_IF_ERROR(in->ReadValue(loaded.generation));
  ASSIGN_OR_RETURN(std::string factory, in->ReadString(kMaxFactoryLength));
  RETURN_IF_ERROR(in->ReadValue(dim));
  if (dim < 1 || dim > static_cast<uint32_t>(kMaxDim)) return corrupt("bad dimension");
  Result<RerankParams> params = ParseRerankFactory(factory, static_cast<int>(dim));
  if (!params.ok()) return corrupt("stored index kind: " + params.status().message());
  RETURN_IF_ERROR(in->ReadValue(codebook_version));
  if (codebook_version != kRerankCodebookVersion) {
    return Status::FailedPrecondition(path.string() + ": codebooks of version " +
                                      std::to_string(codebook_version) + ", this build trains " +
                                      std::to_string(kRerankCodebookVersion) +
                                      "; rebuild the index from the catalog");
  }
  CodebookVersion codebook{.kind = factory, .recipe = codebook_version};
  RETURN_IF_ERROR(in->ReadValue(codebook.fingerprint));
  if (version >= 2) {
    RETURN_IF_ERROR(in->ReadValue(codebook.sample_size));
    RETURN_IF_ERROR(in->ReadValue(codebook.provenance.sample_seed));
    RETURN_IF_ERROR(in->ReadValue(codebook.provenance.catalog_generation));
    ASSIGN_OR_RETURN(codebook.kind, in->ReadString(kMaxFactoryLength));
    if (codebook.sample_size < 0) return corrupt("bad training sample size");
  }
  uint64_t rows = 0;
  RETURN_IF_ERROR(in->ReadValue(rows));
  if (rows > in->remaining() / sizeof(int64_t)) return corrupt("bad row count");
  std::vector<int64_t> row_ids(rows);
  RETURN_IF_ERROR(in->Read(row_ids.data(), rows * sizeof(int64_t)));
  std::vector<uint8_t> bits((rows + 7) / 8);
  RETURN_IF_ERROR(in->Read(bits.data(), bits.size()));
  std::vector<bool> deleted(rows);
  int64_t live = 0;
  for (size_t r = 0; r < rows; ++r) {
    deleted[r] = (bits[r / 8] >> (r % 8)) & 1u;
    live += deleted[r] ? 0 : 1;
  }
  ReaderAdapter reader(*in);
  std::unique_ptr<faiss::Index> payload;
  RETURN_IF_ERROR(GuardFaiss(path.string() + ": reading the IVF-PQ payload",
                             StatusCode::kCorruption,
                             [&] { payload.reset(faiss::read_index(&reader)); }));
  auto* ivf = dynamic_cast<faiss::IndexIVFPQ*>(payload.get());
  if (ivf == nullptr || in->remaining() != 0) return corrupt("payload is not one IVF-PQ index");
  static_cast<void>(payload.release());
  std::unique_ptr<faiss::IndexIVFPQ> owned(ivf);
  if (owned->d != static_cast<FaissId>(dim) || !owned->is_trained ||
      owned->metric_type != faiss::METRIC_INNER_PRODUCT || owned->ntotal != live ||
      owned->nlist != static_cast<size_t>(params->nlist) ||
      owned->pq.M != static_cast<size_t>(params->pq_m) ||
      Fingerprint(*owned) != codebook.fingerprint) {
    return corrupt("IVF-PQ payload does not match its header");
  }
  ASSIGN_OR_RETURN(
      std::unique_ptr<RowFile> vectors,
      RowFile::Open(RerankVectorPath(path), RowBytes(params->precision, static_cast<int>(dim)),
                    static_cast<int64_t>(rows)));
  auto index = std::make_unique<RerankVectorIndex>(
      std::move(factory), *params, static_cast<int>(dim), std::move(owned), std::move(vectors));
  index->Restore(std::move(row_ids), std::move(deleted), std::move(codebook));
  loaded.index = std::move(index);
  return loaded;
}

}  // namespace likeness::index
