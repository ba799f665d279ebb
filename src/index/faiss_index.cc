#include "index/faiss_index.h"

#include <faiss/IVFlib.h>
#include <faiss/IndexFlatCodes.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexPreTransform.h>
#include <faiss/IndexRefine.h>
#include <faiss/clone_index.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>
#include <faiss/invlists/InvertedLists.h>
#include <sodium.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <typeinfo>
#include <unordered_set>
#include <utility>

#include "index/exact_index.h"
#include "index/factory.h"
#include "index/faiss_guard.h"
#include "index/hnsw_index.h"
#include "index/index_file.h"
#include "index/rerank_index.h"

namespace likeness::index {
namespace {

using FaissId = faiss::Index::idx_t;

bool AllFinite(std::span<const float> values) {
  return std::all_of(values.begin(), values.end(), [](float v) { return std::isfinite(v); });
}

faiss::IndexHNSW* AsHnsw(faiss::Index* inner) { return dynamic_cast<faiss::IndexHNSW*>(inner); }

// Zeroes the vector codes an index holds, so they do not linger in freed memory. Best effort: types
// not listed here are left as they are.
void ScrubCodes(faiss::Index* index) {
  if (index == nullptr) return;
  if (auto* flat = dynamic_cast<faiss::IndexFlatCodes*>(index)) {
    sodium_memzero(flat->codes.data(), flat->codes.size());
  } else if (auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(index)) {
    ScrubCodes(hnsw->storage);
  } else if (auto* ivf = dynamic_cast<faiss::IndexIVF*>(index)) {
    if (auto* lists = dynamic_cast<faiss::ArrayInvertedLists*>(ivf->invlists)) {
      for (auto& codes : lists->codes) sodium_memzero(codes.data(), codes.size());
    }
  } else if (auto* pre = dynamic_cast<faiss::IndexPreTransform*>(index)) {
    ScrubCodes(pre->index);
  } else if (auto* refine = dynamic_cast<faiss::IndexRefine*>(index)) {
    ScrubCodes(refine->base_index);
    ScrubCodes(refine->refine_index);
  }
}

// After IndexFlatCodes::remove_ids compacted `codes` from old_bytes down to its size, the bytes
// past the new end (stale copies, possibly of removed vectors) are still in the buffer; zero them.
void ZeroFreedTail(faiss::IndexFlatCodes* flat, size_t old_bytes) {
  const size_t kept = flat->codes.size();
  if (old_bytes <= kept) return;
  flat->codes.resize(old_bytes);  // grows in place, value-initialising (zeroing) the tail
  sodium_memzero(flat->codes.data() + kept, old_bytes - kept);
  flat->codes.resize(kept);
}

// The id map and inner index agree on how many vectors there are, and ids are unique.
bool Consistent(const faiss::IndexIDMap2& map) {
  const auto n = static_cast<size_t>(map.ntotal);
  return map.index != nullptr && map.index->ntotal == map.ntotal && map.id_map.size() == n &&
         map.rev_map.size() == n;
}

Result<std::unique_ptr<faiss::IndexIDMap2>> WrapInIdMap(std::unique_ptr<faiss::Index> inner) {
  std::unique_ptr<faiss::IndexIDMap2> map;
  RETURN_IF_ERROR(GuardFaiss("wrapping the index in an id map", StatusCode::kInternal,
                             [&] { map = std::make_unique<faiss::IndexIDMap2>(inner.get()); }));
  static_cast<void>(inner.release());  // now owned by map
  map->own_fields = true;
  return map;
}

// Whether `loaded` (an inner index read from a file) is of the class FAISS reads back for an empty
// index built from `factory`. Going through write/read matters: "Flat" builds an IndexFlat but
// reads back as an IndexFlatIP.
bool BuildsSameType(const faiss::Index& loaded, const std::string& factory) {
  Result<std::unique_ptr<faiss::Index>> fresh = MakeInnerIndex(factory, static_cast<int>(loaded.d));
  if (!fresh.ok()) return false;
  std::unique_ptr<faiss::Index> reread;
  const Status status = GuardFaiss("", StatusCode::kInternal, [&] {
    faiss::VectorIOWriter writer;
    faiss::write_index(fresh->get(), &writer);
    faiss::VectorIOReader reader;
    reader.data = std::move(writer.data);
    reread.reset(faiss::read_index(&reader));
  });
  if (!status.ok() || reread == nullptr) return false;
  const faiss::Index& expected = *reread;
  return typeid(expected) == typeid(loaded);
}

}  // namespace

FaissVectorIndex::FaissVectorIndex(std::string factory, std::unique_ptr<faiss::IndexIDMap2> map)
    : factory_(std::move(factory)), dim_(static_cast<int>(map->d)), map_(std::move(map)) {
  if (auto* hnsw = AsHnsw(map_->index)) hnsw->hnsw.efSearch = kMinHnswEfSearch;
}

int64_t FaissVectorIndex::size() const {
  const auto lock = mu_.Read();
  return map_->ntotal;
}

bool FaissVectorIndex::Contains(int64_t id) const {
  const auto lock = mu_.Read();
  return map_->rev_map.count(id) > 0;
}

Status FaissVectorIndex::Add(std::span<const int64_t> ids, std::span<const float> vectors) {
  if (vectors.size() % dim_ != 0 || vectors.size() / dim_ != ids.size()) {
    return Status::InvalidArgument("Add: " + std::to_string(ids.size()) + " ids but " +
                                   std::to_string(vectors.size()) + " floats (dim " +
                                   std::to_string(dim_) + ")");
  }
  if (!AllFinite(vectors)) return Status::InvalidArgument("Add: a vector has a NaN or infinity");
  std::unordered_set<int64_t> batch;
  batch.reserve(ids.size());
  for (const int64_t id : ids) {
    if (!batch.insert(id).second) {
      return Status::InvalidArgument("Add: id " + std::to_string(id) +
                                     " appears twice in one call");
    }
  }

  const auto lock = mu_.Write();
  RETURN_IF_ERROR(broken_);
  for (const int64_t id : ids) {
    if (map_->rev_map.count(id) > 0) {
      return Status::AlreadyExists("id " + std::to_string(id) + " is already in the index");
    }
  }
  if (ids.empty()) return Status::Ok();
  const auto n = static_cast<FaissId>(ids.size());
  RETURN_IF_ERROR(TrainIfNeeded(n, vectors.data()));
  Status added = GuardFaiss("adding to the index", StatusCode::kInternal,
                            [&] { map_->add_with_ids(n, vectors.data(), ids.data()); });
  if (!added.ok() && !Consistent(*map_)) {
    broken_ = Status::Internal("index left inconsistent by a failed add (" + added.ToString() +
                               "); rebuild it");
  }
  return added;
}

Status FaissVectorIndex::TrainIfNeeded(int64_t n, const float* vectors) {
  if (map_->is_trained) return Status::Ok();
  Status trained =
      GuardFaiss("training", StatusCode::kFailedPrecondition, [&] { map_->train(n, vectors); });
  if (trained.code() == StatusCode::kResourceExhausted) return trained;
  if (!trained.ok() || !map_->is_trained) {
    return Status::FailedPrecondition(
        "index \"" + factory_ + "\" needs training and the first Add (" + std::to_string(n) +
        " vectors) could not train it" + (trained.ok() ? "" : ": " + trained.message()));
  }
  return Status::Ok();
}

Result<int64_t> FaissVectorIndex::Remove(std::span<const int64_t> ids) {
  const auto lock = mu_.Write();
  RETURN_IF_ERROR(broken_);
  std::vector<int64_t> present;
  std::unordered_set<int64_t> seen;
  for (const int64_t id : ids) {
    if (map_->rev_map.count(id) > 0 && seen.insert(id).second) present.push_back(id);
  }
  if (present.empty()) return int64_t{0};
  if (dynamic_cast<faiss::IndexFlatCodes*>(map_->index) != nullptr) {
    return RemoveCompacting(present);
  }
  return RemoveByRebuild(present);
}

Result<int64_t> FaissVectorIndex::RemoveCompacting(const std::vector<int64_t>& present) {
  auto* flat = static_cast<faiss::IndexFlatCodes*>(map_->index);
  const size_t old_bytes = flat->codes.size();
  size_t removed = 0;
  const Status status = GuardFaiss("removing from the index", StatusCode::kInternal, [&] {
    const faiss::IDSelectorBatch selector(present.size(), present.data());
    removed = map_->remove_ids(selector);
  });
  ZeroFreedTail(flat, old_bytes);
  if (!status.ok()) {
    if (!Consistent(*map_)) {
      broken_ = Status::Internal("index left inconsistent by a failed remove (" +
                                 status.ToString() + "); rebuild it");
    }
    return status;
  }
  return static_cast<int64_t>(removed);
}

Result<int64_t> FaissVectorIndex::RemoveByRebuild(const std::vector<int64_t>& present) {
  faiss::Index* old_inner = map_->index;
  const FaissId total = map_->ntotal;
  const std::unordered_set<int64_t> gone(present.begin(), present.end());
  const auto keep = static_cast<size_t>(total) - present.size();

  // IVF indexes reconstruct a vector only through a direct map.
  RETURN_IF_ERROR(GuardFaiss("preparing to reconstruct", StatusCode::kUnsupported, [&] {
    faiss::IndexIVF* ivf = faiss::ivflib::try_extract_index_ivf(old_inner);
    if (ivf != nullptr && ivf->direct_map.no()) ivf->make_direct_map(true);
  }));
  std::vector<FaissId> kept_ids;
  kept_ids.reserve(keep);
  std::vector<float> kept(keep * static_cast<size_t>(dim_));
  const Status reconstructed = GuardFaiss("reconstructing", StatusCode::kUnsupported, [&] {
    for (FaissId i = 0; i < total; ++i) {
      const FaissId id = map_->id_map[static_cast<size_t>(i)];
      if (gone.count(id) > 0) continue;
      old_inner->reconstruct(i, kept.data() + kept_ids.size() * static_cast<size_t>(dim_));
      kept_ids.push_back(id);
    }
  });
  if (reconstructed.code() == StatusCode::kUnsupported) {
    return Status::Unsupported("index \"" + factory_ +
                               "\" cannot remove vectors: " + reconstructed.message());
  }
  RETURN_IF_ERROR(reconstructed);

  // A fresh inner index: from the factory when the type needs no training, else an emptied copy of
  // the trained one (scrubbed before it is emptied, since emptying does not overwrite).
  ASSIGN_OR_RETURN(std::unique_ptr<faiss::Index> fresh, MakeInnerIndex(factory_, dim_));
  if (!fresh->is_trained) {
    RETURN_IF_ERROR(GuardFaiss("copying the trained index", StatusCode::kUnsupported, [&] {
      fresh.reset(faiss::clone_index(old_inner));
      ScrubCodes(fresh.get());
      fresh->reset();
    }));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<faiss::IndexIDMap2> rebuilt, WrapInIdMap(std::move(fresh)));
  RETURN_IF_ERROR(GuardFaiss("rebuilding the index", StatusCode::kInternal, [&] {
    rebuilt->add_with_ids(static_cast<FaissId>(kept_ids.size()), kept.data(), kept_ids.data());
  }));
  if (auto* hnsw = AsHnsw(rebuilt->index)) hnsw->hnsw.efSearch = AsHnsw(old_inner)->hnsw.efSearch;

  ScrubCodes(old_inner);
  map_ = std::move(rebuilt);
  return static_cast<int64_t>(present.size());
}

Result<std::vector<std::vector<Hit>>> FaissVectorIndex::Search(std::span<const float> queries,
                                                               int k) const {
  if (k < 1) {
    return Status::InvalidArgument("Search: k must be at least 1, got " + std::to_string(k));
  }
  if (queries.size() % dim_ != 0) {
    return Status::InvalidArgument("Search: " + std::to_string(queries.size()) +
                                   " floats is not a whole number of dim-" + std::to_string(dim_) +
                                   " queries");
  }
  if (!AllFinite(queries)) return Status::InvalidArgument("Search: a query has a NaN or infinity");
  const auto n = static_cast<int64_t>(queries.size() / dim_);
  if (n == 0) return std::vector<std::vector<Hit>>{};

  for (;;) {
    int needed_ef = 0;
    {
      const auto lock = mu_.Read();
      RETURN_IF_ERROR(broken_);
      const int64_t k_eff = std::min<int64_t>(k, map_->ntotal);
      const faiss::IndexHNSW* hnsw = AsHnsw(map_->index);
      if (hnsw == nullptr || hnsw->hnsw.efSearch >= kHnswEfSearchPerK * k_eff) {
        return SearchLocked(queries.data(), n, k_eff);
      }
      needed_ef = static_cast<int>(std::min<int64_t>(
          std::max<int64_t>(kMinHnswEfSearch, kHnswEfSearchPerK * k_eff), INT_MAX));
    }
    // FAISS 1.7.3 reads efSearch from the index, not from SearchParametersHNSW: raise it
    // exclusively, then search again under the shared lock.
    const auto lock = mu_.Write();
    if (auto* hnsw = AsHnsw(map_->index); hnsw != nullptr && hnsw->hnsw.efSearch < needed_ef) {
      hnsw->hnsw.efSearch = needed_ef;
    }
  }
}

Result<std::vector<std::vector<Hit>>> FaissVectorIndex::SearchLocked(const float* queries,
                                                                     int64_t n, int64_t k) const {
  std::vector<std::vector<Hit>> results(static_cast<size_t>(n));
  if (k == 0) return results;  // empty index
  const auto cells = static_cast<size_t>(n * k);
  std::vector<float> scores(cells);
  std::vector<FaissId> labels(cells);
  RETURN_IF_ERROR(GuardFaiss("searching the index", StatusCode::kInternal, [&] {
    map_->index->search(n, queries, k, scores.data(), labels.data());
  }));
  const std::vector<FaissId>& id_map = map_->id_map;
  for (size_t q = 0; q < results.size(); ++q) {
    std::vector<Hit>& hits = results[q];
    hits.reserve(static_cast<size_t>(k));
    for (size_t j = q * static_cast<size_t>(k); j < (q + 1) * static_cast<size_t>(k); ++j) {
      if (labels[j] < 0) continue;  // fewer than k reachable
      if (static_cast<size_t>(labels[j]) >= id_map.size()) {
        return Status::Internal("search returned position " + std::to_string(labels[j]) +
                                " of an index holding " + std::to_string(id_map.size()));
      }
      hits.push_back(Hit{id_map[static_cast<size_t>(labels[j])], scores[j]});
    }
  }
  return results;
}

Status FaissVectorIndex::Save(const std::filesystem::path& path, uint64_t generation) const {
  const auto lock = mu_.Write();
  RETURN_IF_ERROR(broken_);
  return WriteIndexFile(path, generation, factory_, *map_);
}

Result<std::unique_ptr<VectorIndex>> CreateIndex(std::string_view factory, int dim) {
  return CreateIndex(factory, dim, IndexOptions{});
}

Result<std::unique_ptr<VectorIndex>> CreateIndex(std::string_view factory, int dim,
                                                 const IndexOptions& options) {
  if (IsExactFactory(factory)) return CreateExactIndex(factory, dim);
  if (IsRerankFactory(factory)) return CreateRerankIndex(factory, dim, options);
  if (IsHnswlibFactory(factory)) return CreateHnswIndex(factory, dim);
  ASSIGN_OR_RETURN(std::unique_ptr<faiss::Index> inner, MakeInnerIndex(factory, dim));
  ASSIGN_OR_RETURN(std::unique_ptr<faiss::IndexIDMap2> map, WrapInIdMap(std::move(inner)));
  return std::unique_ptr<VectorIndex>(
      std::make_unique<FaissVectorIndex>(std::string(factory), std::move(map)));
}

Result<LoadedIndex> LoadIndex(const std::filesystem::path& path) {
  if (LooksLikeExactStoreFile(path)) return LoadExactIndex(path);
  if (LooksLikeHnswFile(path)) return LoadHnswIndex(path);
  if (LooksLikeRerankFile(path)) return LoadRerankIndex(path);
  ASSIGN_OR_RETURN(IndexFileContents contents, ReadIndexFile(path));
  const auto corrupt = [&](const std::string& what) {
    return Status::Corruption(path.string() + ": " + what);
  };
  auto* raw_map = dynamic_cast<faiss::IndexIDMap2*>(contents.index.get());
  if (raw_map == nullptr) return corrupt("index payload is not an IndexIDMap2");
  static_cast<void>(contents.index.release());  // now owned by `map`
  std::unique_ptr<faiss::IndexIDMap2> map(raw_map);
  if (map->index == nullptr || !map->own_fields) return corrupt("index payload has no inner index");
  if (const Status valid = ValidateFactory(contents.factory, map->d); !valid.ok()) {
    return corrupt("stored factory string: " + valid.message());
  }
  if (map->metric_type != faiss::METRIC_INNER_PRODUCT || map->index->d != map->d ||
      map->index->metric_type != faiss::METRIC_INNER_PRODUCT) {
    return corrupt("index payload is not an inner-product index of one dimension");
  }
  if (!Consistent(*map)) return corrupt("index payload's id map does not match its vectors");
  if (!BuildsSameType(*map->index, contents.factory)) {
    return corrupt("index payload is not the type its factory string \"" + contents.factory +
                   "\" builds");
  }
  LoadedIndex loaded;
  loaded.generation = contents.generation;
  loaded.index = std::make_unique<FaissVectorIndex>(std::move(contents.factory), std::move(map));
  return loaded;
}

}  // namespace likeness::index
