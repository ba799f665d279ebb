// bench_erasure: the cost of physical erasure per index kind (issue 12): erase 1 and then 1,000
// faces from an index of N synthetic 512-d unit vectors, as Engine::SaveIndex does it after an
// erasure - VectorIndex::Remove (vector bytes overwritten in memory) then Save (a new file, the
// file it replaces overwritten in place first; the IVF-PQ vector file fsynced with the removed rows
// zeroed). Reported per kind: remove time, save time, bytes written to the new file(s), bytes
// overwritten in the old one, and the ratio of the erase save to a plain save of the same index
// measured in the same process just before (the baseline: the save every ingest already pays).
//
//   bench_erasure [--n 100000] [--kinds Flat,Exact,...] [--dir /tmp]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "common/scrub_file.h"
#include "index/vector_index.h"
#include "synthetic_faces.h"

namespace {
namespace fs = std::filesystem;
using likeness::index::VectorIndex;
using Clock = std::chrono::steady_clock;

constexpr int kDim = 512;

double Ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

uint64_t FolderBytes(const fs::path& dir) {
  uint64_t total = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file()) total += e.file_size();
  }
  return total;
}

struct Step {
  double remove_ms = 0, save_ms = 0;
  uint64_t written = 0, overwritten = 0;
};

Step EraseAndSave(VectorIndex& index, const std::vector<int64_t>& ids, const fs::path& file,
                  const fs::path& dir, uint64_t generation) {
  Step s;
  const uint64_t overwritten_before = likeness::BytesOverwrittenSoFar();
  const auto t0 = Clock::now();
  auto removed = index.Remove(ids);
  const auto t1 = Clock::now();
  if (!removed.ok() || *removed != static_cast<int64_t>(ids.size())) {
    std::fprintf(stderr, "remove failed: %s\n", removed.status().ToString().c_str());
    std::exit(1);
  }
  if (auto st = index.Save(file, generation); !st.ok()) {
    std::fprintf(stderr, "save failed: %s\n", st.ToString().c_str());
    std::exit(1);
  }
  const auto t2 = Clock::now();
  s.remove_ms = Ms(t0, t1);
  s.save_ms = Ms(t1, t2);
  s.overwritten = likeness::BytesOverwrittenSoFar() - overwritten_before;
  s.written = FolderBytes(dir);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t n = 100000;
  std::string kinds_arg =
      "Flat,Exact,Exact,fp16,Exact,int8,HNSW32,IVF1024,PQ64,rerank=fp16,IVF1024,PQ64,rerank=int8";
  std::vector<std::string> kinds;
  fs::path root = fs::temp_directory_path();
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--n") n = std::atoll(argv[i + 1]);
    if (flag == "--kinds") kinds_arg = argv[i + 1];
    if (flag == "--dir") root = argv[i + 1];
  }
  // Split on commas that start a new kind (Exact,fp16 and IVF...,PQ..,rerank=.. hold commas).
  for (size_t pos = 0; pos < kinds_arg.size();) {
    size_t end = pos;
    do {
      end = kinds_arg.find(',', end + 1);
    } while (end != std::string::npos && !(kinds_arg.compare(end + 1, 4, "Flat") == 0 ||
                                           kinds_arg.compare(end + 1, 5, "Exact") == 0 ||
                                           kinds_arg.compare(end + 1, 4, "HNSW") == 0 ||
                                           kinds_arg.compare(end + 1, 3, "IVF") == 0));
    kinds.push_back(kinds_arg.substr(pos, end == std::string::npos ? end : end - pos));
    pos = end == std::string::npos ? kinds_arg.size() : end + 1;
  }

  std::vector<float> vectors(static_cast<size_t>(n) * kDim);
  std::vector<int32_t> identities(static_cast<size_t>(n));
  likeness::bench::FaceGenerator gen(kDim, 42);
  gen.NextFaces(n, vectors.data(), identities.data());
  std::vector<int64_t> ids(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) ids[static_cast<size_t>(i)] = i + 1;
  std::mt19937_64 rng(7);
  std::vector<int64_t> shuffled = ids;
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  const std::vector<int64_t> one(shuffled.begin(), shuffled.begin() + 1);
  const std::vector<int64_t> thousand(shuffled.begin() + 1, shuffled.begin() + 1001);

  std::printf("%lld synthetic 512-d faces; times in ms; bytes in MB (10^6)\n",
              static_cast<long long>(n));
  std::printf("%-26s %9s | %9s %9s %9s %9s | %9s %9s %9s %9s | %s\n", "kind", "save", "rm 1",
              "save 1", "new MB", "wiped MB", "rm 1000", "save 1000", "new MB", "wiped MB",
              "erase-1 / plain save");
  for (const std::string& kind : kinds) {
    const fs::path dir = root / ("bench-erasure-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const fs::path file = dir / "faces.lkidx";
    auto created = likeness::index::CreateIndex(kind, kDim, {.scratch_dir = dir});
    if (!created.ok()) {
      std::fprintf(stderr, "%s: %s\n", kind.c_str(), created.status().ToString().c_str());
      return 1;
    }
    VectorIndex& index = **created;
    if (const int64_t want = index.TrainingSampleSize(); want > 0) {
      const int64_t m = std::min(want, n);
      if (auto st = index.Train({vectors.data(), static_cast<size_t>(m) * kDim}, {}); !st.ok()) {
        std::fprintf(stderr, "%s: %s\n", kind.c_str(), st.ToString().c_str());
        return 1;
      }
    }
    if (auto st = index.Add(ids, vectors); !st.ok()) {
      std::fprintf(stderr, "%s: %s\n", kind.c_str(), st.ToString().c_str());
      return 1;
    }
    index.ShrinkToFit();
    // Baseline: two plain saves (the first creates the files; the second replaces them, as every
    // later save does, including the overwrite of the replaced file).
    (void)index.Save(file, 1);
    const auto b0 = Clock::now();
    (void)index.Save(file, 2);
    const double plain_ms = Ms(b0, Clock::now());
    const Step s1 = EraseAndSave(index, one, file, dir, 3);
    const Step s1000 = EraseAndSave(index, thousand, file, dir, 4);
    std::printf("%-26s %9.1f | %9.3f %9.1f %9.1f %9.1f | %9.2f %9.1f %9.1f %9.1f | %.2f\n",
                kind.c_str(), plain_ms, s1.remove_ms, s1.save_ms, s1.written / 1e6,
                s1.overwritten / 1e6, s1000.remove_ms, s1000.save_ms, s1000.written / 1e6,
                s1000.overwritten / 1e6, (s1.remove_ms + s1.save_ms) / plain_ms);
    std::fflush(stdout);
    created->reset();
    fs::remove_all(dir);
  }
  return 0;
}
