// bench_index: exact search over synthetic faces with our SIMD ExactStore (fp32 / fp16 / int8)
// against Debian's FAISS IndexFlatIP, at catalog scale. See README.md for how to run it and the
// figures.
//
// Per kind: build time, RAM per face, single-query p50/p99 latency for each thread count, batch
// time per query, recall@1 / recall@10 against the exact fp32 ground truth, identity@1, and the
// ratios against FAISS and against the memory-bandwidth floor (bytes scanned / measured streaming
// read bandwidth).
#include <cblas.h>
#include <faiss/IndexFlat.h>
#include <omp.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "bandwidth.h"
#include "simd/exact_store.h"
#include "synthetic_faces.h"

namespace likeness::bench {
namespace {

using Clock = std::chrono::steady_clock;
using simd::ExactStore;
using simd::Precision;

constexpr std::string_view kFaiss = "faiss-flat";
constexpr std::string_view kGroundTruthKind = "fp32";
constexpr size_t kBandwidthBytes = size_t{1} << 30;
constexpr int kBandwidthRepeats = 20;
constexpr int kWarmupQueries = 2;

struct Options {
  int64_t n = 1000000;
  int dim = 512;
  int64_t queries = 200;
  int k = 10;
  std::vector<int> threads = {1, 2};
  std::vector<std::string> kinds = {"fp32", "fp16", "int8", std::string(kFaiss)};
  // FAISS's SSE flat scan is slow; its single-query latency is timed on this many queries (recall
  // uses all of them, searched as one batch).
  int64_t faiss_latency_queries = 50;
  int64_t chunk = 8192;
  uint64_t seed = 1;
  std::string json;
};

struct Latency {
  double p50_ms = 0, p99_ms = 0, mean_ms = 0, min_ms = 0;
  // The calling thread's CPU time: wall time minus the time the scheduler took the core away (the
  // benchmark machine is shared), i.e. the latency of an uncontended core.
  double cpu_p50_ms = 0;
};

struct KindResult {
  std::string kind;
  double build_s = 0;
  double ram_bytes_per_face = 0;
  double scan_bytes_per_face = 0;
  std::map<int, Latency> single;   // by thread count
  std::map<int, double> batch_ms;  // whole batch, per query, by thread count
  double recall1 = 0, recall10 = 0, identity1 = 0;
  std::vector<std::vector<int64_t>>
      top;  // per query, from the single-query runs at the first thread count
};

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

std::vector<std::string> Split(std::string_view s) {
  std::vector<std::string> out;
  std::stringstream ss{std::string(s)};
  for (std::string item; std::getline(ss, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

template <typename T>
bool ParseNumber(std::string_view s, T& out) {
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

void Usage() {
  std::fprintf(
      stderr,
      "usage: bench_index [--n N] [--dim D] [--queries Q] [--k K] [--threads 1,2]\n"
      "                   [--kinds fp32,fp16,int8,faiss-flat] [--faiss-latency-queries M]\n"
      "                   [--seed S] [--json FILE]\n");
}

std::optional<Options> ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") return std::nullopt;
    if (i + 1 >= argc) return std::nullopt;
    const std::string_view v = argv[++i];
    bool ok = true;
    if (flag == "--n") {
      ok = ParseNumber(v, o.n) && o.n > 0;
    } else if (flag == "--dim") {
      ok = ParseNumber(v, o.dim) && o.dim > 0 && o.dim <= simd::kMaxDim;
    } else if (flag == "--queries") {
      ok = ParseNumber(v, o.queries) && o.queries > 0;
    } else if (flag == "--k") {
      ok = ParseNumber(v, o.k) && o.k > 0;
    } else if (flag == "--faiss-latency-queries") {
      ok = ParseNumber(v, o.faiss_latency_queries) && o.faiss_latency_queries > 0;
    } else if (flag == "--seed") {
      ok = ParseNumber(v, o.seed);
    } else if (flag == "--json") {
      o.json = std::string(v);
    } else if (flag == "--threads") {
      o.threads.clear();
      for (const std::string& t : Split(v)) {
        int x = 0;
        ok = ok && ParseNumber(std::string_view(t), x) && x >= 1 && x <= simd::kMaxSearchThreads;
        o.threads.push_back(x);
      }
      ok = ok && !o.threads.empty();
    } else if (flag == "--kinds") {
      o.kinds = Split(v);
      for (const std::string& k : o.kinds) {
        ok = ok && (k == kFaiss || simd::ParsePrecision(k).has_value());
      }
      ok = ok && !o.kinds.empty();
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "bad value for %s: %s\n", std::string(flag).c_str(),
                   std::string(v).c_str());
      return std::nullopt;
    }
  }
  return o;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const auto i = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size()))) - 1;
  return v[std::min(i, v.size() - 1)];
}

Latency Summarise(const std::vector<double>& wall_ms, const std::vector<double>& cpu_ms) {
  Latency l;
  l.p50_ms = Percentile(wall_ms, 0.50);
  l.p99_ms = Percentile(wall_ms, 0.99);
  l.min_ms = *std::min_element(wall_ms.begin(), wall_ms.end());
  for (double x : wall_ms) l.mean_ms += x / static_cast<double>(wall_ms.size());
  l.cpu_p50_ms = Percentile(cpu_ms, 0.50);
  return l;
}

double ThreadCpuMs() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) * 1e-6;
}

void Die(const Status& s, const char* what) {
  std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
  std::exit(1);
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

void Accuracy(KindResult& r, const std::vector<std::vector<int64_t>>& truth,
              const std::vector<int32_t>& probe_identity, const std::vector<int32_t>& identity,
              int k) {
  double r1 = 0, r10 = 0, id1 = 0;
  const auto nq = static_cast<double>(truth.size());
  for (size_t q = 0; q < truth.size(); ++q) {
    const std::vector<int64_t>& got = r.top[q];
    if (got.empty()) continue;
    r1 += got[0] == truth[q][0];
    const std::set<int64_t> want(truth[q].begin(), truth[q].end());
    int64_t hits = 0;
    for (int64_t id : got) hits += want.contains(id);
    r10 += static_cast<double>(hits) / static_cast<double>(std::min<size_t>(k, truth[q].size()));
    id1 += identity[static_cast<size_t>(got[0])] == probe_identity[q];
  }
  r.recall1 = r1 / nq;
  r.recall10 = r10 / nq;
  r.identity1 = id1 / nq;
}

int Run(const Options& o) {
  const int max_threads = *std::max_element(o.threads.begin(), o.threads.end());
  openblas_set_num_threads(1);  // our threads are the parallelism; FAISS's batch run raises it
  std::printf("bench_index: n=%lld dim=%d queries=%lld k=%d simd=%s loadavg=%s\n",
              static_cast<long long>(o.n), o.dim, static_cast<long long>(o.queries), o.k,
              std::string(simd::SimdLevelName(simd::DefaultKernels().level)).c_str(),
              LoadAverage().c_str());

  // 1. The floor: streaming read bandwidth per thread count.
  std::map<int, double> bandwidth;
  // Up to t threads: the best of t threads together and of one thread alone (see bandwidth.h).
  // Measured again after the searches (the shared machine's memory traffic varies); the floor uses
  // the best.
  auto measure_bandwidth = [&](const char* when) {
    const double one_thread = MeasureReadBandwidth(kBandwidthBytes, 1, kBandwidthRepeats);
    for (int t : o.threads) {
      const double bw =
          t == 1
              ? one_thread
              : std::max(one_thread, MeasureReadBandwidth(kBandwidthBytes, t, kBandwidthRepeats));
      bandwidth[t] = std::max(bandwidth[t], bw);
      std::printf("read bandwidth (%s), up to %d thread(s): %.1f GB/s\n", when, t, bw / 1e9);
    }
  };
  measure_bandwidth("before");

  // 2. Build every kind from one streamed pass over the catalog. fp32 is always built: it is the
  // ground truth.
  std::vector<std::string> store_kinds = {std::string(kGroundTruthKind)};
  bool want_faiss = false;
  for (const std::string& k : o.kinds) {
    if (k == kFaiss) {
      want_faiss = true;
    } else if (std::find(store_kinds.begin(), store_kinds.end(), k) == store_kinds.end()) {
      store_kinds.push_back(k);
    }
  }
  std::map<std::string, ExactStore> stores;
  std::map<std::string, KindResult> results;
  for (const std::string& k : store_kinds) {
    Result<ExactStore> s = ExactStore::Create(o.dim, {*simd::ParsePrecision(k), std::nullopt});
    if (!s.ok()) Die(s.status(), "create");
    if (Status st = s->Reserve(o.n); !st.ok()) Die(st, "reserve");
    stores.emplace(k, std::move(s).value());
    results[k].kind = k;
  }
  std::unique_ptr<faiss::IndexFlatIP> flat;
  if (want_faiss) {
    flat = std::make_unique<faiss::IndexFlatIP>(o.dim);
    flat->codes.reserve(static_cast<size_t>(o.n) * flat->code_size);
    results[std::string(kFaiss)].kind = kFaiss;
  }
  FaceGenerator gen(o.dim, o.seed);
  std::vector<int32_t> identity(static_cast<size_t>(o.n));
  std::vector<float> chunk(static_cast<size_t>(o.chunk * o.dim));
  std::vector<int64_t> ids(static_cast<size_t>(o.chunk));
  double gen_s = 0;
  for (int64_t at = 0; at < o.n; at += o.chunk) {
    const int64_t m = std::min(o.chunk, o.n - at);
    auto t0 = Clock::now();
    gen.NextFaces(m, chunk.data(), identity.data() + at);
    gen_s += Seconds(t0, Clock::now());
    for (int64_t i = 0; i < m; ++i) ids[static_cast<size_t>(i)] = at + i;
    const std::span<const float> vectors(chunk.data(), static_cast<size_t>(m * o.dim));
    for (auto& [k, store] : stores) {
      t0 = Clock::now();
      if (Status st = store.Add(std::span(ids).first(static_cast<size_t>(m)), vectors); !st.ok()) {
        Die(st, "add");
      }
      results[k].build_s += Seconds(t0, Clock::now());
    }
    if (flat) {
      t0 = Clock::now();
      flat->add(m, chunk.data());
      results[std::string(kFaiss)].build_s += Seconds(t0, Clock::now());
    }
  }
  chunk = {};
  std::printf("generated %lld faces of %d identities in %.1f s\n", static_cast<long long>(o.n),
              identity.back() + 1, gen_s);
  for (auto& [k, store] : stores) {
    results[k].ram_bytes_per_face =
        static_cast<double>(store.MemoryBytes()) / static_cast<double>(o.n);
    results[k].scan_bytes_per_face =
        static_cast<double>(simd::ScannedBytesPerRow(store.precision(), o.dim));
  }
  if (flat) {
    KindResult& r = results[std::string(kFaiss)];
    r.ram_bytes_per_face = static_cast<double>(flat->codes.capacity()) / static_cast<double>(o.n);
    r.scan_bytes_per_face = static_cast<double>(flat->code_size);
  }

  // 3. Probes: new photos of the identities of random catalog faces.
  std::vector<float> probes(static_cast<size_t>(o.queries * o.dim));
  std::vector<int32_t> probe_identity(static_cast<size_t>(o.queries));
  Rng pick(o.seed ^ 0x7069636bULL);
  for (int64_t q = 0; q < o.queries; ++q) {
    const int32_t who = identity[static_cast<size_t>(pick.Next() % static_cast<uint64_t>(o.n))];
    probe_identity[static_cast<size_t>(q)] = who;
    gen.Probe(who, static_cast<uint64_t>(q), probes.data() + q * o.dim);
  }
  auto probe = [&](int64_t q) {
    return std::span<const float>(probes.data() + q * o.dim, static_cast<size_t>(o.dim));
  };

  // 4. Ground truth: exact fp32 (sgemm batch over the fp32 store).
  std::vector<std::vector<int64_t>> truth(static_cast<size_t>(o.queries));
  {
    Result<std::vector<std::vector<simd::Hit>>> res =
        stores.at(std::string(kGroundTruthKind)).Search(probes, o.k, {max_threads});
    if (!res.ok()) Die(res.status(), "ground truth");
    for (size_t q = 0; q < truth.size(); ++q) {
      for (const simd::Hit& h : (*res)[q]) truth[q].push_back(h.id);
    }
  }

  // 5. Latency and accuracy per kind.
  for (auto& [k, store] : stores) {
    if (std::find(o.kinds.begin(), o.kinds.end(), k) == o.kinds.end()) continue;
    KindResult& r = results[k];
    r.top.assign(static_cast<size_t>(o.queries), {});
    for (int t : o.threads) {
      for (int64_t q = 0; q < kWarmupQueries; ++q) (void)store.Search(probe(q), o.k, {t});
      std::vector<double> ms, cpu;
      for (int64_t q = 0; q < o.queries; ++q) {
        const double c0 = ThreadCpuMs();
        const auto t0 = Clock::now();
        Result<std::vector<std::vector<simd::Hit>>> res = store.Search(probe(q), o.k, {t});
        ms.push_back(Seconds(t0, Clock::now()) * 1e3);
        cpu.push_back(ThreadCpuMs() - c0);
        if (!res.ok()) Die(res.status(), "search");
        if (t == o.threads.front()) {
          for (const simd::Hit& h : (*res)[0]) r.top[static_cast<size_t>(q)].push_back(h.id);
        }
      }
      r.single[t] = Summarise(ms, cpu);
      const auto t0 = Clock::now();
      Result<std::vector<std::vector<simd::Hit>>> batch = store.Search(probes, o.k, {t});
      r.batch_ms[t] = Seconds(t0, Clock::now()) * 1e3 / static_cast<double>(o.queries);
      if (!batch.ok()) Die(batch.status(), "batch search");
      std::printf(
          "  %-10s %d thread(s): p50 %.2f ms  p99 %.2f ms  cpu p50 %.2f ms  batch %.2f ms/query\n",
          k.c_str(), t, r.single[t].p50_ms, r.single[t].p99_ms, r.single[t].cpu_p50_ms,
          r.batch_ms[t]);
      std::fflush(stdout);
    }
    Accuracy(r, truth, probe_identity, identity, o.k);
  }
  if (flat) {
    KindResult& r = results[std::string(kFaiss)];
    std::vector<float> distances(static_cast<size_t>(o.queries) * static_cast<size_t>(o.k));
    std::vector<faiss::Index::idx_t> labels(distances.size());
    const int64_t timed = std::min(o.queries, o.faiss_latency_queries);
    for (int t : o.threads) {
      omp_set_num_threads(t);
      for (int64_t q = 0; q < kWarmupQueries; ++q) {
        flat->search(1, probe(q).data(), o.k, distances.data(), labels.data());
      }
      std::vector<double> ms, cpu;
      for (int64_t q = 0; q < timed; ++q) {
        const double c0 = ThreadCpuMs();
        const auto t0 = Clock::now();
        flat->search(1, probe(q).data(), o.k, distances.data(), labels.data());
        ms.push_back(Seconds(t0, Clock::now()) * 1e3);
        cpu.push_back(ThreadCpuMs() - c0);
      }
      r.single[t] = Summarise(ms, cpu);
      openblas_set_num_threads(t);  // FAISS batches go through BLAS sgemm
      const auto t0 = Clock::now();
      flat->search(o.queries, probes.data(), o.k, distances.data(), labels.data());
      r.batch_ms[t] = Seconds(t0, Clock::now()) * 1e3 / static_cast<double>(o.queries);
      openblas_set_num_threads(1);
      std::printf(
          "  %-10s %d thread(s): p50 %.2f ms  p99 %.2f ms  cpu p50 %.2f ms  batch %.2f ms/query\n",
          r.kind.c_str(), t, r.single[t].p50_ms, r.single[t].p99_ms, r.single[t].cpu_p50_ms,
          r.batch_ms[t]);
      std::fflush(stdout);
    }
    r.top.assign(static_cast<size_t>(o.queries), {});
    for (int64_t q = 0; q < o.queries; ++q) {
      for (int j = 0; j < o.k; ++j) {
        const faiss::Index::idx_t id = labels[static_cast<size_t>(q * o.k + j)];
        if (id >= 0) r.top[static_cast<size_t>(q)].push_back(id);
      }
    }
    Accuracy(r, truth, probe_identity, identity, o.k);
  }

  // 6. Report.
  measure_bandwidth("after");
  const KindResult* faiss_r = flat ? &results[std::string(kFaiss)] : nullptr;
  std::printf("\n%-10s %8s %9s", "kind", "build s", "RAM B/f");
  for (int t : o.threads) {
    std::printf(" %8s %8s %8s %8s %7s %7s %7s %8s", ("p50@" + std::to_string(t)).c_str(),
                ("p99@" + std::to_string(t)).c_str(), ("cpu50@" + std::to_string(t)).c_str(),
                ("floor@" + std::to_string(t)).c_str(), "x floor", "cpu x f", "vsFAISS",
                ("batch@" + std::to_string(t)).c_str());
  }
  std::printf(" %7s %7s %7s\n", "R@1", "R@10", "id@1");
  std::ostringstream json;
  json << "{\n  \"n\": " << o.n << ", \"dim\": " << o.dim << ", \"queries\": " << o.queries
       << ", \"k\": " << o.k << ",\n  \"simd\": \""
       << simd::SimdLevelName(simd::DefaultKernels().level) << "\", \"loadavg\": \""
       << LoadAverage() << "\",\n  \"bandwidth_gbps\": {";
  for (int t : o.threads) {
    json << (t == o.threads.front() ? "" : ", ") << "\"" << t << "\": " << bandwidth[t] / 1e9;
  }
  json << "},\n  \"kinds\": [";
  bool first_kind = true;
  for (const std::string& k : o.kinds) {
    if (!results.contains(k)) continue;
    const KindResult& r = results[k];
    std::printf("%-10s %8.2f %9.0f", k.c_str(), r.build_s, r.ram_bytes_per_face);
    json << (first_kind ? "" : ",") << "\n    {\"kind\": \"" << k
         << "\", \"build_s\": " << r.build_s << ", \"ram_bytes_per_face\": " << r.ram_bytes_per_face
         << ", \"scan_bytes_per_face\": " << r.scan_bytes_per_face << ", \"threads\": {";
    first_kind = false;
    for (int t : o.threads) {
      const Latency& l = r.single.at(t);
      const double floor_ms = r.scan_bytes_per_face * static_cast<double>(o.n) / bandwidth[t] * 1e3;
      const double vs_faiss = faiss_r ? faiss_r->single.at(t).p50_ms / l.p50_ms : 0;
      std::printf(" %8.2f %8.2f %8.2f %8.2f %7.2f %7.2f %7.2f %8.2f", l.p50_ms, l.p99_ms,
                  l.cpu_p50_ms, floor_ms, l.p50_ms / floor_ms, l.cpu_p50_ms / floor_ms, vs_faiss,
                  r.batch_ms.at(t));
      json << (t == o.threads.front() ? "" : ", ") << "\"" << t << "\": {\"p50_ms\": " << l.p50_ms
           << ", \"p99_ms\": " << l.p99_ms << ", \"mean_ms\": " << l.mean_ms
           << ", \"min_ms\": " << l.min_ms << ", \"cpu_p50_ms\": " << l.cpu_p50_ms
           << ", \"floor_ms\": " << floor_ms << ", \"p50_over_floor\": " << l.p50_ms / floor_ms
           << ", \"cpu_p50_over_floor\": " << l.cpu_p50_ms / floor_ms
           << ", \"faiss_p50_over_this_p50\": " << vs_faiss
           << ", \"batch_ms_per_query\": " << r.batch_ms.at(t) << "}";
    }
    std::printf(" %7.4f %7.4f %7.4f\n", r.recall1, r.recall10, r.identity1);
    json << "}, \"recall_at_1\": " << r.recall1 << ", \"recall_at_10\": " << r.recall10
         << ", \"identity_at_1\": " << r.identity1 << "}";
  }
  json << "\n  ]\n}\n";
  std::printf(
      "\nRAM B/f: heap bytes per face (rows + scales + ids + id map; FAISS: its code array). "
      "p50/p99@t: wall-clock single-query latency at t threads; cpu50@t: p50 of the calling "
      "thread's CPU time (excludes time the shared machine took the core away). "
      "floor@t: bytes scanned / read bandwidth at t threads. x floor: p50 / floor; cpu x f: "
      "cpu50 / floor. vsFAISS: FAISS "
      "p50 / this p50 (higher is better). batch@t: ms per query when all %lld queries are searched "
      "as one batch. R@1, R@10 vs exact fp32; id@1: top-1 is the probe's identity.\n",
      static_cast<long long>(o.queries));
  if (!o.json.empty()) {
    std::ofstream(o.json) << json.str();
    std::printf("wrote %s\n", o.json.c_str());
  }
  return 0;
}

}  // namespace
}  // namespace likeness::bench

int main(int argc, char** argv) {
  // Before any OpenMP use: idle OpenMP workers sleep instead of spinning on the shared cores.
  setenv("OMP_WAIT_POLICY", "PASSIVE", /*overwrite=*/1);
  const std::optional<likeness::bench::Options> options = likeness::bench::ParseArgs(argc, argv);
  if (!options.has_value()) {
    likeness::bench::Usage();
    return 2;
  }
  return likeness::bench::Run(*options);
}
