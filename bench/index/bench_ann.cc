// bench_ann: approximate index kinds (hnswlib HNSW, IVF-PQ + re-rank from a memory-mapped fp16/int8
// file) against Debian FAISS's flat index, through the VectorIndex interface, on streamed synthetic
// faces. See README.md.
//
// The catalog is generated in chunks and never held as fp32: the exact ground truth is computed
// while streaming (sgemm of the probes against each chunk, a running top-k per probe), and each
// kind is built from its own regeneration of the same stream (the generator is deterministic), one
// kind at a time, so its RAM is the growth of the process's anonymous memory while it is built.
// Only "faiss-flat" holds fp32 (it is the baseline; leave it out at sizes whose fp32 does not fit).
#include <cblas.h>
#include <malloc.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <queue>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

#include "index/rerank_index.h"
#include "index/vector_index.h"
#include "real_faces.h"
#include "synthetic_faces.h"
#include "vision/model_manifest.h"

namespace likeness::bench {
namespace {

using Clock = std::chrono::steady_clock;
using index::VectorIndex;

constexpr std::string_view kFlat = "faiss-flat";

struct Options {
  int64_t n = 1000000;
  int dim = 512;
  int64_t queries = 200;
  int k = 10;
  std::vector<int> threads = {1, 2};
  std::vector<std::string> kinds = {"IVF1024,PQ64,rerank=fp16", "IVF1024,PQ64,rerank=int8",
                                    std::string(kFlat)};
  int64_t chunk = 65536;
  int64_t flat_latency_queries = 50;
  uint64_t seed = 1;
  std::string dir = ".";
  int build_threads = 1;  // OpenMP / OpenBLAS threads for training and adding
  // Extra search settings measured on each IVF-PQ re-rank kind after its own (nprobe, candidates).
  std::vector<std::pair<int, int>> searches;
  // Real faces (real_faces.h): each demo-photo face enters the catalog with real_sample perturbed
  // copies, after the synthetic rows, and is probed with real_sample fresh copies. 0: off.
  int real_sample = 3;
  std::string demo_dir = vision::DefaultDemoDir().string();
  std::string model_dir = vision::DefaultModelDir().string();

  // Filled by Run, not by flags: the real rows appended to the stream, and their identity labels
  // (negative, so they never equal a synthetic identity).
  std::vector<float> extra_rows;
  std::vector<int32_t> extra_identity;
  int64_t total() const { return n + static_cast<int64_t>(extra_identity.size()); }
};

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

template <typename T>
bool ParseNumber(std::string_view s, T& out) {
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss{std::string(s)};
  for (std::string item; std::getline(ss, item, sep);) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::optional<Options> ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i], v = argv[i + 1];
    bool ok = true;
    if (flag == "--n") {
      ok = ParseNumber(v, o.n) && o.n > 0;
    } else if (flag == "--queries") {
      ok = ParseNumber(v, o.queries) && o.queries > 0;
    } else if (flag == "--k") {
      ok = ParseNumber(v, o.k) && o.k > 0;
    } else if (flag == "--chunk") {
      ok = ParseNumber(v, o.chunk) && o.chunk > 0;
    } else if (flag == "--flat-latency-queries") {
      ok = ParseNumber(v, o.flat_latency_queries) && o.flat_latency_queries > 0;
    } else if (flag == "--seed") {
      ok = ParseNumber(v, o.seed);
    } else if (flag == "--build-threads") {
      ok = ParseNumber(v, o.build_threads) && o.build_threads >= 1;
    } else if (flag == "--real-sample") {
      ok = ParseNumber(v, o.real_sample) && o.real_sample >= 0 && o.real_sample <= 100;
    } else if (flag == "--demo") {
      o.demo_dir = std::string(v);
    } else if (flag == "--models") {
      o.model_dir = std::string(v);
    } else if (flag == "--dir") {
      o.dir = std::string(v);
    } else if (flag == "--kinds") {
      o.kinds = Split(v, ';');
      ok = !o.kinds.empty();
    } else if (flag == "--search") {
      // "nprobe,cand;nprobe,cand;..."
      for (const std::string& item : Split(v, ';')) {
        const std::vector<std::string> pair = Split(item, ',');
        int np = 0, cand = 0;
        ok = ok && pair.size() == 2 && ParseNumber(std::string_view(pair[0]), np) && np >= 1 &&
             ParseNumber(std::string_view(pair[1]), cand) && cand >= 1;
        o.searches.push_back({np, cand});
      }
    } else if (flag == "--threads") {
      o.threads.clear();
      for (const std::string& t : Split(v, ',')) {
        int x = 0;
        ok = ok && ParseNumber(std::string_view(t), x) && x >= 1 && x <= 64;
        o.threads.push_back(x);
      }
    } else {
      ok = false;
    }
    if (!ok) return std::nullopt;
  }
  if (argc % 2 == 0) return std::nullopt;
  return o;
}

void Die(const Status& s, const std::string& what) {
  std::fprintf(stderr, "bench_ann: %s: %s\n", what.c_str(), s.ToString().c_str());
  std::exit(1);
}

// Anonymous resident memory (heap, not the page cache of mapped files), in bytes.
int64_t RssAnonBytes() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("RssAnon:", 0) == 0) return std::stoll(line.substr(8)) * 1024;
  }
  return 0;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const auto i = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size()))) - 1;
  return v[std::min(i, v.size() - 1)];
}

// Streams the catalog: calls visit(first_row, rows, vectors, identities) per chunk; the real rows,
// if any, come last as one chunk.
template <typename Visit>
double Stream(const Options& o, Visit&& visit) {
  FaceGenerator gen(o.dim, o.seed);
  std::vector<float> chunk(static_cast<size_t>(o.chunk * o.dim));
  std::vector<int32_t> ident(static_cast<size_t>(o.chunk));
  double gen_s = 0;
  for (int64_t at = 0; at < o.n; at += o.chunk) {
    const int64_t m = std::min(o.chunk, o.n - at);
    const auto t0 = Clock::now();
    gen.NextFaces(m, chunk.data(), ident.data());
    gen_s += Seconds(t0, Clock::now());
    visit(at, m, chunk.data(), ident.data());
  }
  if (!o.extra_identity.empty()) {
    visit(o.n, static_cast<int64_t>(o.extra_identity.size()), o.extra_rows.data(),
          o.extra_identity.data());
  }
  return gen_s;
}

struct Truth {
  std::vector<std::vector<int64_t>> top;  // per probe, exact top-k rows, best first
  std::vector<int32_t> probe_identity;
  std::vector<int32_t> row_identity;
  int64_t synthetic_probes = 0;  // probes [0, synthetic_probes) are synthetic, the rest real
};

struct KindResult {
  std::string kind;
  double train_s = 0, build_s = 0, ram_per_face = 0, disk_per_face = 0;
  std::vector<std::pair<int, std::pair<double, double>>> latency;  // threads -> p50, p99 (ms)
  double recall1 = 0, recall10 = 0, identity1 = 0;
  double match10 = 0;  // recall of the true top-k entries of the probe's own identity
  // The same figures for the real-face probes (untimed), when there are any.
  double real_recall1 = 0, real_recall10 = 0, real_identity1 = 0;
};

struct Scores {
  double recall1 = 0, recall10 = 0, identity1 = 0, match10 = 0;
};

// Scores the answers `got` of probes [first, first + got.size()) against the truth.
Scores Score(const Truth& truth, int64_t first, const std::vector<std::vector<int64_t>>& got) {
  double r1 = 0, r10 = 0, id1 = 0, match_found = 0, match_total = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const auto q = static_cast<size_t>(first) + i;
    const auto& want = truth.top[q];
    const auto& have = got[i];
    const int32_t who = truth.probe_identity[q];
    for (const int64_t id : want) {
      if (truth.row_identity[static_cast<size_t>(id)] != who) continue;
      match_total += 1;
      match_found += std::count(have.begin(), have.end(), id) > 0 ? 1 : 0;
    }
    if (!have.empty() && have[0] == want[0]) r1 += 1;
    int common = 0;
    for (const int64_t id : have) common += std::count(want.begin(), want.end(), id) > 0 ? 1 : 0;
    r10 += static_cast<double>(common) / static_cast<double>(want.size());
    if (!have.empty() && truth.row_identity[static_cast<size_t>(have[0])] == who) id1 += 1;
  }
  const auto n = static_cast<double>(std::max<size_t>(got.size(), 1));
  return {r1 / n, r10 / n, id1 / n, match_total > 0 ? match_found / match_total : 1.0};
}

// Times single-query searches at each thread count and scores the answers against the truth.
void Measure(const Options& o, const VectorIndex& index, const std::vector<float>& probes,
             const Truth& truth, KindResult& r) {
  const VectorIndex* idx = &index;
  const std::string& kind = r.kind;
  omp_set_num_threads(1);
  openblas_set_num_threads(1);
  const int64_t nq = kind == kFlat ? std::min(o.queries, o.flat_latency_queries) : o.queries;
  std::vector<std::vector<int64_t>> got(static_cast<size_t>(nq));
  // Warm-up: one untimed pass, so the first timed thread count does not pay the page faults of a
  // freshly written vector file or graph.
  for (int64_t q = 0; q < nq; ++q) {
    auto res = idx->Search(
        std::span(probes).subspan(static_cast<size_t>(q * o.dim), static_cast<size_t>(o.dim)), o.k);
    if (!res.ok()) Die(res.status(), "search " + kind);
  }
  for (const int t : o.threads) {
    std::vector<double> ms(static_cast<size_t>(nq));
    std::atomic<int64_t> next{0};
    auto work = [&] {
      for (int64_t q; (q = next.fetch_add(1)) < nq;) {
        const auto t0 = Clock::now();
        auto res = idx->Search(
            std::span(probes).subspan(static_cast<size_t>(q * o.dim), static_cast<size_t>(o.dim)),
            o.k);
        ms[static_cast<size_t>(q)] = Seconds(t0, Clock::now()) * 1e3;
        if (!res.ok()) Die(res.status(), "search " + kind);
        if (t == o.threads.front()) {
          auto& out = got[static_cast<size_t>(q)];
          for (const auto& h : (*res)[0]) out.push_back(h.id);
        }
      }
    };
    std::vector<std::thread> pool;
    for (int i = 1; i < t; ++i) pool.emplace_back(work);
    work();
    for (auto& th : pool) th.join();
    r.latency.push_back({t, {Percentile(ms, 0.5), Percentile(ms, 0.99)}});
  }
  const Scores synthetic = Score(truth, 0, got);
  r.recall1 = synthetic.recall1;
  r.recall10 = synthetic.recall10;
  r.identity1 = synthetic.identity1;
  r.match10 = synthetic.match10;
  const auto total_probes = static_cast<int64_t>(truth.probe_identity.size());
  std::vector<std::vector<int64_t>> real(
      static_cast<size_t>(total_probes - truth.synthetic_probes));
  for (int64_t q = truth.synthetic_probes; q < total_probes; ++q) {
    auto res = idx->Search(
        std::span(probes).subspan(static_cast<size_t>(q * o.dim), static_cast<size_t>(o.dim)), o.k);
    if (!res.ok()) Die(res.status(), "search " + kind);
    auto& out = real[static_cast<size_t>(q - truth.synthetic_probes)];
    for (const auto& h : (*res)[0]) out.push_back(h.id);
  }
  if (!real.empty()) {
    const Scores scored = Score(truth, truth.synthetic_probes, real);
    r.real_recall1 = scored.recall1;
    r.real_recall10 = scored.recall10;
    r.real_identity1 = scored.identity1;
  }
}

// Builds `kind` from the stream, measures it (and each --search setting), appends to `results`.
void RunKind(const Options& o, const std::string& kind, const std::vector<float>& probes,
             const Truth& truth, const std::vector<float>& sample,
             std::vector<KindResult>& results) {
  KindResult r;
  r.kind = kind;
  const std::string factory = kind == kFlat ? "Flat" : kind;
  omp_set_num_threads(o.build_threads);
  openblas_set_num_threads(o.build_threads);
  malloc_trim(0);
  const int64_t rss0 = RssAnonBytes();
  auto created = index::CreateIndex(factory, o.dim, {.scratch_dir = o.dir});
  if (!created.ok()) Die(created.status(), "create " + kind);
  std::unique_ptr<VectorIndex> idx = std::move(created).value();
  if (const int64_t want = idx->TrainingSampleSize(); want > 0) {
    const auto t0 = Clock::now();
    const size_t take = std::min(sample.size(), static_cast<size_t>(want * o.dim));
    if (Status s = idx->Train(std::span(sample).first(take), {.sample_seed = o.seed}); !s.ok())
      Die(s, "train " + kind);
    r.train_s = Seconds(t0, Clock::now());
    std::fprintf(stderr, "  %s: trained on %zu faces in %.1f s\n", kind.c_str(), take / o.dim,
                 r.train_s);
  }
  std::vector<int64_t> ids(static_cast<size_t>(
      std::max<int64_t>(o.chunk, static_cast<int64_t>(o.extra_identity.size()))));
  double add_s = 0;
  Stream(o, [&](int64_t at, int64_t m, const float* v, const int32_t*) {
    for (int64_t i = 0; i < m; ++i) ids[static_cast<size_t>(i)] = at + i;
    const auto t0 = Clock::now();
    const Status s = idx->Add(std::span(ids).first(static_cast<size_t>(m)),
                              std::span(v, static_cast<size_t>(m * o.dim)));
    if (!s.ok()) Die(s, "add " + kind);
    add_s += Seconds(t0, Clock::now());
    if (at / o.chunk % 8 == 7) {
      std::fprintf(stderr, "  %s: %lld / %lld added (%.0f/s)\n", kind.c_str(),
                   static_cast<long long>(at + m), static_cast<long long>(o.total()),
                   static_cast<double>(at + m) / add_s);
    }
  });
  const auto shrink0 = Clock::now();
  idx->ShrinkToFit();  // as the engine does after its rebuild
  add_s += Seconds(shrink0, Clock::now());
  r.build_s = r.train_s + add_s;
  malloc_trim(0);
  r.ram_per_face = static_cast<double>(RssAnonBytes() - rss0) / static_cast<double>(o.total());
  if (kind.find("rerank=fp16") != std::string::npos) r.disk_per_face = 2.0 * o.dim;
  if (kind.find("rerank=int8") != std::string::npos) r.disk_per_face = o.dim + 4.0;

  Measure(o, *idx, probes, truth, r);
  results.push_back(r);
  for (const auto& [nprobe, cand] : o.searches) {
    if (!index::IsRerankFactory(factory)) break;
    if (Status st = index::SetRerankSearch(*idx, nprobe, cand); !st.ok()) Die(st, "search " + kind);
    KindResult extra = r;
    extra.kind =
        kind + " [nprobe=" + std::to_string(nprobe) + ",cand=" + std::to_string(cand) + "]";
    extra.latency.clear();
    Measure(o, *idx, probes, truth, extra);
    results.push_back(extra);
  }
}

// Embeds the demo photos and appends them (each real face + o.real_sample perturbed copies) to the
// stream as o.extra_*; returns the real probes (o.real_sample fresh copies per real face) and their
// identities. Without photos or models it says so and returns no probes.
std::vector<float> AddRealFaces(Options& o, std::vector<int32_t>& probe_identity) {
  std::vector<float> probes;
  if (o.real_sample == 0) return probes;
  const auto t0 = Clock::now();
  Result<RealFaces> embedded = EmbedDemoFaces(o.demo_dir, o.model_dir);
  if (!embedded.ok()) {
    std::printf("real faces: none (%s); run scripts/setup for the demo photos and models\n",
                embedded.status().ToString().c_str());
    return probes;
  }
  const RealFaces& real = *embedded;
  if (real.dim != o.dim) Die(Status::InvalidArgument("embedder dim != --dim"), "real faces");
  double impostor_sum = 0, impostor_max = -1;
  int64_t impostor_pairs = 0;
  for (int64_t a = 0; a < real.count(); ++a) {
    for (int64_t b = a + 1; b < real.count(); ++b) {
      if (real.identity[static_cast<size_t>(a)] == real.identity[static_cast<size_t>(b)]) continue;
      float dot = 0;
      for (int d = 0; d < o.dim; ++d) dot += real.faces[a * o.dim + d] * real.faces[b * o.dim + d];
      impostor_sum += dot;
      impostor_max = std::max<double>(impostor_max, dot);
      ++impostor_pairs;
    }
  }
  const int copies = o.real_sample;
  std::vector<float> copy(static_cast<size_t>(copies * o.dim));
  for (int64_t f = 0; f < real.count(); ++f) {
    const int32_t label = -1 - real.identity[static_cast<size_t>(f)];
    const float* face = real.faces.data() + f * o.dim;
    o.extra_rows.insert(o.extra_rows.end(), face, face + o.dim);
    PerturbedCopies(real, f, copies, o.seed, /*stream=*/0, copy.data());
    o.extra_rows.insert(o.extra_rows.end(), copy.begin(), copy.end());
    o.extra_identity.insert(o.extra_identity.end(), static_cast<size_t>(1 + copies), label);
    PerturbedCopies(real, f, copies, o.seed, /*stream=*/1, copy.data());
    probes.insert(probes.end(), copy.begin(), copy.end());
    probe_identity.insert(probe_identity.end(), static_cast<size_t>(copies), label);
  }
  std::printf(
      "real faces: %lld faces of %d people from %s in %.1f s; cosine between people: mean %.3f, "
      "max %.3f (%lld pairs); catalog +%zu rows, +%zu probes\n",
      static_cast<long long>(real.count()),
      real.identity.empty() ? 0 : *std::max_element(real.identity.begin(), real.identity.end()) + 1,
      o.demo_dir.c_str(), Seconds(t0, Clock::now()),
      impostor_pairs > 0 ? impostor_sum / static_cast<double>(impostor_pairs) : 0.0, impostor_max,
      static_cast<long long>(impostor_pairs), o.extra_identity.size(), probe_identity.size());
  return probes;
}

int Run(Options o) {
  std::printf("bench_ann: n=%lld dim=%d queries=%lld k=%d chunk=%lld dir=%s\n",
              static_cast<long long>(o.n), o.dim, static_cast<long long>(o.queries), o.k,
              static_cast<long long>(o.chunk), o.dir.c_str());
  // 1. The probes: new faces of the identities of rows drawn uniformly from the first kProbePool
  // rows of the stream (identities come in a random order, so a prefix is a uniform sample of
  // identities). The training sample is drawn separately, as a reservoir sample of the whole stream
  // during the ground-truth pass (as the engine does), so a probe's identity is in the training
  // sample only as often as it would be in production (~sample/n). (Until this commit the sample
  // was the same prefix the probes came from: every probe's identity had trained the codebooks,
  // which flattered IVF.)
  int64_t sample_rows = std::min<int64_t>(o.total(), 10000);
  for (const std::string& kind : o.kinds) {
    if (kind == kFlat) continue;
    auto probe_index = index::CreateIndex(kind, o.dim, {.scratch_dir = o.dir});
    if (!probe_index.ok()) Die(probe_index.status(), "kind " + kind);
    sample_rows = std::max(sample_rows, std::min(o.total(), (*probe_index)->TrainingSampleSize()));
  }
  constexpr int64_t kProbePool = 65536;
  const int64_t pool_rows = std::min(o.n, kProbePool);
  std::vector<int32_t> pool_identity(static_cast<size_t>(pool_rows));
  {
    std::vector<float> pool(static_cast<size_t>(pool_rows * o.dim));
    FaceGenerator(o.dim, o.seed).NextFaces(pool_rows, pool.data(), pool_identity.data());
  }
  Truth truth;
  std::vector<int32_t> real_identity;
  const std::vector<float> real_probes = AddRealFaces(o, real_identity);
  std::vector<float> probes(static_cast<size_t>(o.queries * o.dim));
  Rng pick(o.seed ^ 0x7069636bULL);
  FaceGenerator prober(o.dim, o.seed);
  for (int64_t q = 0; q < o.queries; ++q) {
    const int32_t who =
        pool_identity[static_cast<size_t>(pick.Next() % static_cast<uint64_t>(pool_rows))];
    truth.probe_identity.push_back(who);
    prober.Probe(who, static_cast<uint64_t>(q), probes.data() + q * o.dim);
  }
  truth.synthetic_probes = o.queries;
  probes.insert(probes.end(), real_probes.begin(), real_probes.end());
  truth.probe_identity.insert(truth.probe_identity.end(), real_identity.begin(),
                              real_identity.end());
  const auto nqt = static_cast<int64_t>(truth.probe_identity.size());

  // 2. Exact ground truth, streamed, and the training sample (reservoir, algorithm R).
  std::vector<float> sample(static_cast<size_t>(sample_rows * o.dim));
  std::vector<int32_t> sample_identity(static_cast<size_t>(sample_rows));
  Rng reservoir(o.seed ^ 0x73616d706c65ULL);
  openblas_set_num_threads(o.build_threads);
  using Entry = std::pair<float, int64_t>;  // min-heap of the best k
  std::vector<std::priority_queue<Entry, std::vector<Entry>, std::greater<>>> heaps(
      static_cast<size_t>(nqt));
  truth.row_identity.resize(static_cast<size_t>(o.total()));
  std::vector<float> scores(static_cast<size_t>(
      nqt * std::max<int64_t>(o.chunk, static_cast<int64_t>(o.extra_identity.size()))));
  const auto t0 = Clock::now();
  const double gen_s = Stream(o, [&](int64_t at, int64_t m, const float* v, const int32_t* ident) {
    std::copy(ident, ident + m, truth.row_identity.begin() + at);
    for (int64_t i = 0; i < m; ++i) {
      const int64_t row = at + i;
      const int64_t slot =
          row < sample_rows
              ? row
              : static_cast<int64_t>(reservoir.Next() % static_cast<uint64_t>(row + 1));
      if (slot < sample_rows) {
        std::copy(v + i * o.dim, v + (i + 1) * o.dim, sample.begin() + slot * o.dim);
        sample_identity[static_cast<size_t>(slot)] = ident[i];
      }
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(nqt), static_cast<int>(m),
                o.dim, 1.0f, probes.data(), o.dim, v, o.dim, 0.0f, scores.data(),
                static_cast<int>(m));
    for (int64_t q = 0; q < nqt; ++q) {
      auto& heap = heaps[static_cast<size_t>(q)];
      const float* row = scores.data() + q * m;
      for (int64_t i = 0; i < m; ++i) {
        if (static_cast<int>(heap.size()) < o.k) {
          heap.push({row[i], at + i});
        } else if (row[i] > heap.top().first) {
          heap.pop();
          heap.push({row[i], at + i});
        }
      }
    }
  });
  scores = {};
  truth.top.resize(static_cast<size_t>(nqt));
  for (int64_t q = 0; q < nqt; ++q) {
    auto& heap = heaps[static_cast<size_t>(q)];
    auto& top = truth.top[static_cast<size_t>(q)];
    for (; !heap.empty(); heap.pop()) top.push_back(heap.top().second);
    std::reverse(top.begin(), top.end());
  }
  std::printf("ground truth (streamed, exact fp32): %.1f s, of which generation %.1f s\n",
              Seconds(t0, Clock::now()), gen_s);
  const std::unordered_set<int32_t> trained(sample_identity.begin(), sample_identity.end());
  int64_t seen = 0;
  for (const int32_t who : truth.probe_identity) seen += trained.count(who) > 0 ? 1 : 0;
  std::printf(
      "training sample: %lld faces (reservoir over all rows); %lld of %lld probes are of an "
      "identity in it\n",
      static_cast<long long>(sample_rows), static_cast<long long>(seen),
      static_cast<long long>(nqt));

  // 3. Each kind in turn.
  std::vector<KindResult> results;
  for (const std::string& kind : o.kinds) {
    const size_t before = results.size();
    RunKind(o, kind, probes, truth, sample, results);
    for (size_t i = before; i < results.size(); ++i) {
      const KindResult& r = results[i];
      std::printf("%-36s build %7.1f s (train %5.1f)  RAM %7.1f B/face  disk %5.0f B/face",
                  r.kind.c_str(), r.build_s, r.train_s, r.ram_per_face, r.disk_per_face);
      for (const auto& [t, l] : r.latency)
        std::printf("  p50/p99@%d %.3f/%.3f ms", t, l.first, l.second);
      std::printf("  R@1 %.3f R@10 %.3f mR@10 %.3f id@1 %.3f", r.recall1, r.recall10, r.match10,
                  r.identity1);
      if (nqt > o.queries) {
        std::printf("  real: R@1 %.3f R@10 %.3f id@1 %.3f", r.real_recall1, r.real_recall10,
                    r.real_identity1);
      }
      std::printf("\n");
    }
    std::fflush(stdout);
  }
  std::printf("\n| kind | n | build s | RAM B/face | disk B/face |");
  for (const int t : o.threads) std::printf(" p50@%d ms | p99@%d ms |", t, t);
  std::printf(
      " R@1 | R@10 | mR@10 | id@1 | real R@1 | real R@10 | real id@1 |\n|---|---|---|---|---|");
  for (size_t i = 0; i < o.threads.size(); ++i) std::printf("---|---|");
  std::printf("---|---|---|---|---|---|---|\n");
  for (const KindResult& r : results) {
    std::printf("| %s | %lld | %.1f | %.0f | %.0f |", r.kind.c_str(), static_cast<long long>(o.n),
                r.build_s, r.ram_per_face, r.disk_per_face);
    for (const auto& [t, l] : r.latency) std::printf(" %.3f | %.3f |", l.first, l.second);
    std::printf(" %.3f | %.3f | %.3f | %.3f |", r.recall1, r.recall10, r.match10, r.identity1);
    if (nqt > o.queries) {
      std::printf(" %.3f | %.3f | %.3f |\n", r.real_recall1, r.real_recall10, r.real_identity1);
    } else {
      std::printf(" – | – | – |\n");
    }
  }
  return 0;
}

}  // namespace
}  // namespace likeness::bench

int main(int argc, char** argv) {
  setenv("OMP_WAIT_POLICY", "PASSIVE", /*overwrite=*/1);  // before any OpenMP use
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const auto options = likeness::bench::ParseArgs(argc, argv);
  if (!options) {
    std::fprintf(stderr,
                 "usage: bench_ann [--n N] [--queries Q] [--k K] [--threads 1,2] [--chunk C]\n"
                 "                 [--kinds 'HNSW32;IVF1024,PQ64,rerank=fp16;faiss-flat']\n"
                 "                 [--flat-latency-queries M] [--seed S] [--dir SCRATCH]\n"
                 "                 [--build-threads T] [--search 'nprobe,cand;nprobe,cand']\n"
                 "                 [--real-sample N] [--demo DIR] [--models DIR]\n");
    return 2;
  }
  return likeness::bench::Run(*options);
}
