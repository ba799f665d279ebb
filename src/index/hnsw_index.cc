#include "index/hnsw_index.h"

// hnswlib's SSE path prefetches the entry one past the end of a link list (`*(datal + j + 1)` in
// searchBaseLayer), which reads past an upper-level list's allocation (ASan heap-buffer-overflow).
// Its SIMD distances are not used here (our kernels compute them), so the manual vectorisation
// goes. Regression: HnswIndexTest.* under the Clang ASan build.
#define NO_MANUAL_VECTORIZATION
#include <hnswlib/hnswlib.h>
#include <sodium.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "index/checked_file.h"
#include "index/factory.h"
#include "index/rw_lock.h"
#include "simd/kernels.h"

namespace likeness::index {
namespace {

using Graph = hnswlib::HierarchicalNSW<float>;
using Label = hnswlib::labeltype;

constexpr std::string_view kHnswMagic = "LKHNSW01";
constexpr uint32_t kHnswFileVersion = 1;
constexpr size_t kMinCapacity = 1024;
constexpr size_t kMinInsertsPerThread = 256;
constexpr size_t kCopyChunk = size_t{1} << 20;
constexpr uint64_t kGraphSeed = 100;  // hnswlib's default level seed: builds are reproducible

bool AllFinite(std::span<const float> values) {
  return std::all_of(values.begin(), values.end(), [](float v) { return std::isfinite(v); });
}

// hnswlib distance = 1 - inner product (smaller is nearer), through our dispatched kernels.
// hnswlib's getDataByLabel reads the dimension as the first size_t of the parameter block.
struct KernelParam {
  size_t dim;
  const simd::Kernels* kernels;
};

float InnerProductDistance(const void* a, const void* b, const void* param) {
  const auto* p = static_cast<const KernelParam*>(param);
  float dot = 0;
  p->kernels->dot_f32(static_cast<const float*>(a), 1, static_cast<const float*>(b), 1,
                      static_cast<int64_t>(p->dim), &dot, 1);
  return 1.0f - dot;
}

class KernelIpSpace final : public hnswlib::SpaceInterface<float> {
 public:
  explicit KernelIpSpace(int dim) : param_{static_cast<size_t>(dim), &simd::DefaultKernels()} {}
  size_t get_data_size() override { return param_.dim * sizeof(float); }
  hnswlib::DISTFUNC<float> get_dist_func() override { return &InnerProductDistance; }
  void* get_dist_func_param() override { return &param_; }

 private:
  KernelParam param_;
};

template <typename Fn>
Status GuardHnsw(std::string_view what, Fn&& fn) {
  try {
    std::forward<Fn>(fn)();
    return Status::Ok();
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted(std::string(what) + ": out of memory");
  } catch (const std::exception& e) {
    return Status::Internal(std::string(what) + ": " + e.what());
  }
}

bool ParseInt(std::string_view s, int& out) {
  if (s.empty()) return false;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

bool Live(const Graph& g, Label id) {
  const auto it = g.label_lookup_.find(id);
  return it != g.label_lookup_.end() && !g.isMarkedDeleted(it->second);
}

// Marks the node of `id` deleted (a tombstone: still a waypoint, never returned) and overwrites its
// vector with zeros, so the graph - in memory and in every file saved from it - keeps no erased
// vector. A zero vector sits at distance 1 from every unit query, so searches rarely route through
// it; its links stay until the next compaction. REQUIRES: Live(g, id).
void Tombstone(Graph& g, Label id, int dim) {
  const hnswlib::tableint internal = g.label_lookup_.at(id);
  g.markDeletedInternal(internal);
  sodium_memzero(g.getDataByInternalId(internal), static_cast<size_t>(dim) * sizeof(float));
}

int64_t LiveCount(const Graph& g) {
  return static_cast<int64_t>(g.cur_element_count) - static_cast<int64_t>(g.num_deleted_);
}

// Inserts n vectors with up to hardware_concurrency threads (hnswlib's addPoint is thread-safe
// against itself). Grows the graph first. `stop`, when set, abandons the remaining inserts.
Status Insert(Graph& g, const int64_t* ids, const float* vectors, size_t n, int dim,
              const std::atomic<bool>* stop = nullptr) {
  if (n == 0) return Status::Ok();
  const size_t needed = g.cur_element_count + n;
  if (needed > g.max_elements_) {
    RETURN_IF_ERROR(GuardHnsw("growing the HNSW graph", [&] {
      g.resizeIndex(std::max({needed, g.max_elements_ * 2, kMinCapacity}));
    }));
  }
  const size_t threads = std::clamp<size_t>(n / kMinInsertsPerThread, 1,
                                            std::max(1u, std::thread::hardware_concurrency()));
  std::atomic<size_t> next{0};
  std::mutex error_mu;
  Status error;
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < n;) {
      if (stop != nullptr && stop->load(std::memory_order_relaxed)) return;
      const Status s = GuardHnsw("adding to the HNSW graph", [&] {
        g.addPoint(vectors + i * static_cast<size_t>(dim), static_cast<Label>(ids[i]));
      });
      if (!s.ok()) {
        const std::lock_guard lock(error_mu);
        if (error.ok()) error = s;
        next.store(n);
      }
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  return error;
}

Result<std::unique_ptr<Graph>> NewGraph(hnswlib::SpaceInterface<float>* space, const HnswParams& p,
                                        size_t capacity) {
  std::unique_ptr<Graph> g;
  RETURN_IF_ERROR(GuardHnsw("creating the HNSW graph", [&] {
    g = std::make_unique<Graph>(space, std::max(capacity, kMinCapacity), p.m, p.ef_construction,
                                kGraphSeed);
  }));
  g->setEf(p.ef_search);
  return g;
}

// Writes the graph exactly as hnswlib's saveIndex does (so hnswlib's loadIndex reads it back).
Status WriteGraph(const Graph& g, AtomicFileWriter& out) {
  RETURN_IF_ERROR(out.WriteValue(g.offsetLevel0_));
  RETURN_IF_ERROR(out.WriteValue(g.max_elements_));
  RETURN_IF_ERROR(out.WriteValue(g.cur_element_count));
  RETURN_IF_ERROR(out.WriteValue(g.size_data_per_element_));
  RETURN_IF_ERROR(out.WriteValue(g.label_offset_));
  RETURN_IF_ERROR(out.WriteValue(g.offsetData_));
  RETURN_IF_ERROR(out.WriteValue(g.maxlevel_));
  RETURN_IF_ERROR(out.WriteValue(g.enterpoint_node_));
  RETURN_IF_ERROR(out.WriteValue(g.maxM_));
  RETURN_IF_ERROR(out.WriteValue(g.maxM0_));
  RETURN_IF_ERROR(out.WriteValue(g.M_));
  RETURN_IF_ERROR(out.WriteValue(g.mult_));
  RETURN_IF_ERROR(out.WriteValue(g.ef_construction_));
  RETURN_IF_ERROR(out.Write(g.data_level0_memory_, g.cur_element_count * g.size_data_per_element_));
  for (size_t i = 0; i < g.cur_element_count; ++i) {
    const unsigned int size =
        g.element_levels_[i] > 0
            ? static_cast<unsigned int>(g.size_links_per_element_ *
                                        static_cast<size_t>(g.element_levels_[i]))
            : 0;
    RETURN_IF_ERROR(out.WriteValue(size));
    if (size > 0) RETURN_IF_ERROR(out.Write(g.linkLists_[i], size));
  }
  return Status::Ok();
}

uint64_t GraphBytes(const Graph& g) {
  uint64_t bytes = 4 * sizeof(size_t) + 2 * sizeof(size_t) + sizeof(int) +
                   sizeof(hnswlib::tableint) + 3 * sizeof(size_t) + sizeof(double) + sizeof(size_t);
  bytes += g.cur_element_count * g.size_data_per_element_;
  for (size_t i = 0; i < g.cur_element_count; ++i) {
    bytes += sizeof(unsigned int);
    if (g.element_levels_[i] > 0) {
      bytes += g.size_links_per_element_ * static_cast<size_t>(g.element_levels_[i]);
    }
  }
  return bytes;
}

class HnswVectorIndex final : public VectorIndex {
 public:
  HnswVectorIndex(std::string factory, HnswParams params, int dim,
                  std::unique_ptr<KernelIpSpace> space, std::unique_ptr<Graph> graph)
      : factory_(std::move(factory)),
        params_(params),
        dim_(dim),
        space_(std::move(space)),
        graph_(std::move(graph)) {}

  ~HnswVectorIndex() override {
    stop_.store(true);
    const std::lock_guard lock(thread_mu_);
    if (worker_.joinable()) worker_.join();
  }

  int dim() const override { return dim_; }
  int64_t size() const override {
    const auto lock = mu_.Read();
    return LiveCount(*graph_);
  }
  std::string factory() const override { return factory_; }

  Status Add(std::span<const int64_t> ids, std::span<const float> vectors) override;
  Result<int64_t> Remove(std::span<const int64_t> ids) override;
  Result<std::vector<std::vector<Hit>>> Search(std::span<const float> queries,
                                               int k) const override;
  bool Contains(int64_t id) const override {
    const auto lock = mu_.Read();
    return Live(*graph_, static_cast<Label>(id));
  }
  Status Save(const std::filesystem::path& path, uint64_t generation) const override;

  bool WaitForCompaction() {
    const std::lock_guard lock(thread_mu_);
    if (worker_.joinable()) worker_.join();
    return compacted_flag_.exchange(false);
  }
  int64_t tombstones() const {
    const auto lock = mu_.Read();
    return static_cast<int64_t>(graph_->num_deleted_);
  }

 private:
  struct LoggedOp {
    bool add;
    int64_t id;
    size_t offset;  // into log_vectors_, for adds
  };

  // REQUIRES: mu_ held exclusively.
  void MaybeStartCompaction();
  void Compact();

  const std::string factory_;
  const HnswParams params_;
  const int dim_;
  const std::unique_ptr<KernelIpSpace> space_;  // outlives every graph
  mutable RwLock mu_;
  std::unique_ptr<Graph> graph_;  // guarded by mu_
  // While a compaction runs (guarded by mu_): the Adds and Removes since it started, to replay.
  bool compacting_ = false;
  std::vector<LoggedOp> log_;
  std::vector<float> log_vectors_;
  Status broken_;  // guarded by mu_

  std::atomic<bool> stop_{false};
  std::mutex thread_mu_;  // guards worker_; never taken by the worker
  std::thread worker_;
  std::atomic<bool> compacted_flag_{false};  // a compaction swapped a graph in since the last wait
};

Status HnswVectorIndex::Add(std::span<const int64_t> ids, std::span<const float> vectors) {
  if (vectors.size() % dim_ != 0 || vectors.size() / dim_ != ids.size()) {
    return Status::InvalidArgument("Add: " + std::to_string(ids.size()) + " ids but " +
                                   std::to_string(vectors.size()) + " floats (dim " +
                                   std::to_string(dim_) + ")");
  }
  if (!AllFinite(vectors)) return Status::InvalidArgument("Add: a vector has a NaN or infinity");
  std::unordered_set<int64_t> batch(ids.begin(), ids.end());
  if (batch.size() != ids.size()) {
    return Status::InvalidArgument("Add: an id appears twice in one call");
  }
  const auto lock = mu_.Write();
  RETURN_IF_ERROR(broken_);
  for (const int64_t id : ids) {
    if (Live(*graph_, static_cast<Label>(id))) {
      return Status::AlreadyExists("id " + std::to_string(id) + " is already in the index");
    }
  }
  const Status added = Insert(*graph_, ids.data(), vectors.data(), ids.size(), dim_);
  if (!added.ok()) {
    broken_ = Status::Internal("HNSW graph left part-built by a failed add (" + added.ToString() +
                               "); rebuild it");
    return added;
  }
  if (compacting_) {
    for (size_t i = 0; i < ids.size(); ++i) {
      log_.push_back({true, ids[i], log_vectors_.size()});
      log_vectors_.insert(log_vectors_.end(), vectors.begin() + static_cast<ptrdiff_t>(i * dim_),
                          vectors.begin() + static_cast<ptrdiff_t>((i + 1) * dim_));
    }
  }
  return Status::Ok();
}

Result<int64_t> HnswVectorIndex::Remove(std::span<const int64_t> ids) {
  const auto lock = mu_.Write();
  RETURN_IF_ERROR(broken_);
  int64_t removed = 0;
  for (const int64_t id : ids) {
    if (!Live(*graph_, static_cast<Label>(id))) continue;
    Tombstone(*graph_, static_cast<Label>(id), dim_);
    ++removed;
    if (compacting_) {
      // An add of this id logged for the running compaction: its copy of the vector goes too.
      for (const LoggedOp& op : log_) {
        if (op.add && op.id == id) {
          sodium_memzero(log_vectors_.data() + op.offset,
                         static_cast<size_t>(dim_) * sizeof(float));
        }
      }
      log_.push_back({false, id, 0});
    }
  }
  if (removed > 0) MaybeStartCompaction();
  return removed;
}

void HnswVectorIndex::MaybeStartCompaction() {
  const auto dead = static_cast<int64_t>(graph_->num_deleted_);
  if (compacting_ || dead < kHnswMinCompactTombstones ||
      static_cast<double>(dead) <=
          kHnswCompactFraction * static_cast<double>(graph_->cur_element_count)) {
    return;
  }
  const std::lock_guard lock(thread_mu_);
  // A previous worker cleared compacting_ as its last locked act; it no longer needs mu_.
  if (worker_.joinable()) worker_.join();
  compacting_ = true;
  worker_ = std::thread([this] { Compact(); });
}

void HnswVectorIndex::Compact() {
  std::vector<int64_t> ids;
  std::vector<float> vectors;
  {
    const auto lock = mu_.Read();
    const Graph& g = *graph_;
    ids.reserve(static_cast<size_t>(LiveCount(g)));
    vectors.reserve(ids.capacity() * static_cast<size_t>(dim_));
    for (hnswlib::tableint i = 0; i < g.cur_element_count; ++i) {
      if (g.isMarkedDeleted(i)) continue;
      ids.push_back(static_cast<int64_t>(g.getExternalLabel(i)));
      const auto* row = reinterpret_cast<const float*>(g.getDataByInternalId(i));
      vectors.insert(vectors.end(), row, row + dim_);
    }
  }
  Result<std::unique_ptr<Graph>> fresh = NewGraph(space_.get(), params_, ids.size() * 5 / 4);
  Status built = fresh.status();
  if (built.ok()) built = Insert(**fresh, ids.data(), vectors.data(), ids.size(), dim_, &stop_);
  std::unique_ptr<Graph> old;
  {
    const auto lock = mu_.Write();
    if (built.ok() && !stop_.load()) {
      Graph& g = **fresh;
      for (const LoggedOp& op : log_) {
        const auto label = static_cast<Label>(op.id);
        if (op.add && !Live(g, label)) {
          built = Insert(g, &op.id, log_vectors_.data() + op.offset, 1, dim_);
        } else if (!op.add && Live(g, label)) {
          Tombstone(g, label, dim_);
        }
        if (!built.ok()) break;
      }
      if (built.ok()) {
        old = std::exchange(graph_, std::move(*fresh));
        compacted_flag_.store(true);
      }
    }
    compacting_ = false;
    log_.clear();
    log_.shrink_to_fit();
    log_vectors_.clear();
    log_vectors_.shrink_to_fit();
  }
  // The copy of the live vectors may hold vectors removed while the graph was being built.
  sodium_memzero(vectors.data(), vectors.size() * sizeof(float));
  // `old` (and a failed `fresh`) are freed here, outside the lock. A failed compaction leaves the
  // old graph with its tombstones; the next Remove tries again.
}

Result<std::vector<std::vector<Hit>>> HnswVectorIndex::Search(std::span<const float> queries,
                                                              int k) const {
  if (k < 1) {
    return Status::InvalidArgument("Search: k must be at least 1, got " + std::to_string(k));
  }
  if (queries.size() % dim_ != 0) {
    return Status::InvalidArgument("Search: a partial query (" + std::to_string(queries.size()) +
                                   " floats, dim " + std::to_string(dim_) + ")");
  }
  if (!AllFinite(queries)) return Status::InvalidArgument("Search: a query has a NaN or infinity");
  const size_t n = queries.size() / dim_;
  std::vector<std::vector<Hit>> out(n);
  const auto lock = mu_.Read();
  RETURN_IF_ERROR(broken_);
  if (LiveCount(*graph_) == 0) return out;
  RETURN_IF_ERROR(GuardHnsw("searching the HNSW graph", [&] {
    for (size_t q = 0; q < n; ++q) {
      auto found = graph_->searchKnn(queries.data() + q * dim_, static_cast<size_t>(k));
      std::vector<Hit>& hits = out[q];
      hits.resize(found.size());
      for (size_t j = found.size(); j-- > 0; found.pop()) {
        hits[j] = Hit{static_cast<int64_t>(found.top().second), 1.0f - found.top().first};
      }
    }
  }));
  return out;
}

Status HnswVectorIndex::Save(const std::filesystem::path& path, uint64_t generation) const {
  const auto lock = mu_.Read();
  RETURN_IF_ERROR(broken_);
  ASSIGN_OR_RETURN(std::unique_ptr<AtomicFileWriter> out, AtomicFileWriter::Open(path));
  RETURN_IF_ERROR(out->Write(kHnswMagic.data(), kHnswMagic.size()));
  RETURN_IF_ERROR(out->WriteValue(kHnswFileVersion));
  RETURN_IF_ERROR(out->WriteValue(generation));
  RETURN_IF_ERROR(out->WriteString(factory_));
  RETURN_IF_ERROR(out->WriteValue(static_cast<uint32_t>(dim_)));
  RETURN_IF_ERROR(out->WriteValue(GraphBytes(*graph_)));
  RETURN_IF_ERROR(WriteGraph(*graph_, *out));
  return out->Commit();
}

// Copies `bytes` of the reader into an anonymous memory file and lets hnswlib's own loader parse
// it (hnswlib reads only from a path). Transiently holds the graph twice.
Result<std::unique_ptr<Graph>> ReadGraph(CheckedFileReader& in, uint64_t bytes,
                                         KernelIpSpace* space) {
  const int fd = ::memfd_create("likeness-hnsw", MFD_CLOEXEC);
  if (fd < 0) return Status::IOError("memfd_create failed while loading an HNSW graph");
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  std::vector<char> chunk(kCopyChunk);
  for (uint64_t left = bytes; left > 0;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(left, chunk.size()));
    RETURN_IF_ERROR(in.Read(chunk.data(), n));
    for (size_t done = 0; done < n;) {
      const ssize_t w = ::write(fd, chunk.data() + done, n - done);
      if (w <= 0) return Status::IOError("writing a memory file while loading an HNSW graph");
      done += static_cast<size_t>(w);
    }
    left -= n;
  }
  std::unique_ptr<Graph> g;
  const std::string fd_path = "/proc/self/fd/" + std::to_string(fd);
  RETURN_IF_ERROR(GuardHnsw(in.path().string() + ": reading the HNSW graph", [&] {
    g = std::make_unique<Graph>(space, fd_path, false, kMinCapacity);
  }));
  // hnswlib 0.6.2's loader counts tombstones into an uninitialised counter; recount.
  g->num_deleted_ = 0;
  for (hnswlib::tableint i = 0; i < g->cur_element_count; ++i) {
    if (g->isMarkedDeleted(i)) ++g->num_deleted_;
  }
  return g;
}

}  // namespace

bool IsHnswlibFactory(std::string_view factory) {
  constexpr std::string_view kPrefix = "HNSW";
  if (factory.substr(0, kPrefix.size()) != kPrefix) return false;
  size_t end = kPrefix.size();
  while (end < factory.size() && factory[end] >= '0' && factory[end] <= '9') ++end;
  if (end == kPrefix.size()) return false;
  const std::string_view rest = factory.substr(end);
  return rest.empty() || rest.substr(0, 4) == ",ef=" || rest.substr(0, 5) == ",efc=";
}

Result<HnswParams> ParseHnswFactory(std::string_view factory) {
  const auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("index kind \"" + std::string(factory) + "\": " + why +
                                   " (expected HNSW<M>[,ef=<n>][,efc=<n>])");
  };
  if (!IsHnswlibFactory(factory)) return bad("not an hnswlib kind");
  HnswParams p;
  size_t pos = factory.find(',');
  if (!ParseInt(factory.substr(4, pos == std::string_view::npos ? std::string_view::npos : pos - 4),
                p.m) ||
      p.m < kMinHnswM || p.m > kMaxHnswM) {
    return bad("M must be in [" + std::to_string(kMinHnswM) + ", " + std::to_string(kMaxHnswM) +
               "]");
  }
  while (pos != std::string_view::npos) {
    const size_t next = factory.find(',', pos + 1);
    const std::string_view option = factory.substr(
        pos + 1, next == std::string_view::npos ? std::string_view::npos : next - pos - 1);
    const size_t eq = option.find('=');
    int value = 0;
    if (eq == std::string_view::npos || !ParseInt(option.substr(eq + 1), value) || value < 1 ||
        value > kMaxHnswEf) {
      return bad("option \"" + std::string(option) + "\" needs a value in [1, " +
                 std::to_string(kMaxHnswEf) + "]");
    }
    const std::string_view key = option.substr(0, eq);
    if (key == "ef") {
      p.ef_search = value;
    } else if (key == "efc") {
      p.ef_construction = value;
    } else {
      return bad("unknown option \"" + std::string(key) + "\"");
    }
    pos = next;
  }
  return p;
}

Result<std::unique_ptr<VectorIndex>> CreateHnswIndex(std::string_view factory, int dim) {
  if (dim < 1 || dim > kMaxDim) {
    return Status::InvalidArgument("index dimension " + std::to_string(dim) + " is not in [1, " +
                                   std::to_string(kMaxDim) + "]");
  }
  ASSIGN_OR_RETURN(const HnswParams params, ParseHnswFactory(factory));
  auto space = std::make_unique<KernelIpSpace>(dim);
  ASSIGN_OR_RETURN(std::unique_ptr<Graph> graph, NewGraph(space.get(), params, kMinCapacity));
  return std::unique_ptr<VectorIndex>(std::make_unique<HnswVectorIndex>(
      std::string(factory), params, dim, std::move(space), std::move(graph)));
}

bool LooksLikeHnswFile(const std::filesystem::path& path) {
  return FileStartsWith(path, kHnswMagic);
}

Result<LoadedIndex> LoadHnswIndex(const std::filesystem::path& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<CheckedFileReader> in,
                   CheckedFileReader::Open(path, kHnswMagic));
  const auto corrupt = [&](const std::string& what) {
    return Status::Corruption(path.string() + ": " + what);
  };
  uint32_t version = 0;
  RETURN_IF_ERROR(in->ReadValue(version));
  if (version != kHnswFileVersion) {
    return Status::Unsupported(path.string() + ": HNSW file format version " +
                               std::to_string(version) + "; this build reads version " +
                               std::to_string(kHnswFileVersion));
  }
  LoadedIndex loaded;
  RETURN_IF_ERROR(in->ReadValue(loaded.generation));
  ASSIGN_OR_RETURN(std::string factory, in->ReadString(kMaxFactoryLength));
  Result<HnswParams> params = ParseHnswFactory(factory);
  if (!params.ok()) return corrupt("stored index kind: " + params.status().message());
  uint32_t dim = 0;
  uint64_t graph_bytes = 0;
  RETURN_IF_ERROR(in->ReadValue(dim));
  RETURN_IF_ERROR(in->ReadValue(graph_bytes));
  if (dim < 1 || dim > static_cast<uint32_t>(kMaxDim)) return corrupt("bad dimension");
  if (graph_bytes != in->remaining()) return corrupt("graph length does not match the file");
  auto space = std::make_unique<KernelIpSpace>(static_cast<int>(dim));
  ASSIGN_OR_RETURN(std::unique_ptr<Graph> graph, ReadGraph(*in, graph_bytes, space.get()));
  const size_t data_size = dim * sizeof(float);
  if (graph->offsetData_ != graph->size_links_level0_ ||
      graph->label_offset_ != graph->offsetData_ + data_size ||
      graph->size_data_per_element_ != graph->label_offset_ + sizeof(Label) ||
      graph->label_lookup_.size() != graph->cur_element_count) {
    return corrupt("HNSW graph does not match its dimension or has repeated ids");
  }
  graph->setEf(params->ef_search);
  loaded.index = std::make_unique<HnswVectorIndex>(
      std::move(factory), *params, static_cast<int>(dim), std::move(space), std::move(graph));
  return loaded;
}

bool WaitForHnswCompaction(VectorIndex* index) {
  auto* hnsw = dynamic_cast<HnswVectorIndex*>(index);
  return hnsw != nullptr && hnsw->WaitForCompaction();
}

int64_t HnswTombstones(const VectorIndex* index) {
  const auto* hnsw = dynamic_cast<const HnswVectorIndex*>(index);
  return hnsw == nullptr ? 0 : hnsw->tombstones();
}

}  // namespace likeness::index
