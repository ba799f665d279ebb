#include "index/exact_index.h"

#include <algorithm>
#include <fstream>
#include <mutex>
#include <shared_mutex>

#include "simd/exact_store.h"

namespace likeness::index {
namespace {

constexpr std::string_view kExact = "Exact";
constexpr char kExactMagic[8] = {'L', 'K', 'X', 'S', 'T', 'O', 'R', 'E'};

std::optional<simd::Precision> PrecisionOf(std::string_view factory) {
  if (factory == kExact) return simd::Precision::kFp32;
  if (factory.size() > kExact.size() + 1 && factory.substr(0, kExact.size() + 1) == "Exact,") {
    return simd::ParsePrecision(factory.substr(kExact.size() + 1));
  }
  return std::nullopt;
}

std::string FactoryOf(simd::Precision p) {
  return p == simd::Precision::kFp32
             ? std::string(kExact)
             : std::string(kExact) + "," + std::string(simd::PrecisionName(p));
}

class ExactVectorIndex final : public VectorIndex {
 public:
  explicit ExactVectorIndex(simd::ExactStore store) : store_(std::move(store)) {}

  int dim() const override { return store_.dim(); }
  int64_t size() const override {
    std::shared_lock lock(mu_);
    return store_.size();
  }
  std::string factory() const override { return FactoryOf(store_.precision()); }

  Status Add(std::span<const int64_t> ids, std::span<const float> vectors) override {
    std::unique_lock lock(mu_);
    return store_.Add(ids, vectors);
  }
  Result<int64_t> Remove(std::span<const int64_t> ids) override {
    std::unique_lock lock(mu_);
    return store_.Remove(ids);
  }
  Result<std::vector<std::vector<Hit>>> Search(std::span<const float> queries,
                                               int k) const override {
    std::shared_lock lock(mu_);
    std::vector<std::vector<Hit>> out;
    if (store_.size() == 0) {
      out.resize(queries.size() / std::max(1, store_.dim()));
      return out;
    }
    ASSIGN_OR_RETURN(auto hits, store_.Search(queries, std::max(1, k)));
    out.reserve(hits.size());
    for (auto& list : hits) {
      std::vector<Hit> converted;
      converted.reserve(list.size());
      for (const auto& h : list) converted.push_back({h.id, h.score});
      out.push_back(std::move(converted));
    }
    return out;
  }
  bool Contains(int64_t id) const override {
    std::shared_lock lock(mu_);
    return store_.Contains(id);
  }
  Status Save(const std::filesystem::path& path, uint64_t generation) const override {
    std::shared_lock lock(mu_);
    return store_.Save(path, generation);
  }

 private:
  mutable std::shared_mutex mu_;
  simd::ExactStore store_;
};

}  // namespace

bool IsExactFactory(std::string_view factory) { return factory.substr(0, kExact.size()) == kExact; }

Result<std::unique_ptr<VectorIndex>> CreateExactIndex(std::string_view factory, int dim) {
  const auto precision = PrecisionOf(factory);
  if (!precision) {
    return Status::InvalidArgument("unknown exact index \"" + std::string(factory) +
                                   "\": use Exact, Exact,fp16 or Exact,int8");
  }
  ASSIGN_OR_RETURN(simd::ExactStore store,
                   simd::ExactStore::Create(dim, {.precision = *precision}));
  return std::unique_ptr<VectorIndex>(std::make_unique<ExactVectorIndex>(std::move(store)));
}

bool LooksLikeExactStoreFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[sizeof kExactMagic] = {};
  return in.read(magic, sizeof magic) && std::equal(magic, magic + sizeof magic, kExactMagic);
}

Result<LoadedIndex> LoadExactIndex(const std::filesystem::path& path) {
  ASSIGN_OR_RETURN(simd::ExactStore::Loaded loaded, simd::ExactStore::Load(path));
  LoadedIndex result;
  result.generation = loaded.generation;
  result.index = std::make_unique<ExactVectorIndex>(std::move(loaded.store));
  return result;
}

}  // namespace likeness::index
