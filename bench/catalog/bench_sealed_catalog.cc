// bench_sealed_catalog: what encryption at rest costs. Fills a data folder with synthetic faces
// (SOURCES sources, 2 faces per image) twice in one run: once through a plain catalog
// (Catalog::Open, embeddings in the clear) and once as Likeness opens it
// (engine::OpenSealedCatalog, embeddings sealed under each source's data key). Prints, as one JSON
// object, the write time of each (the catalog share of ingest), the full-scan time of each
// (ForEachEmbedding, what an index rebuild reads) and the engine's index rebuild
// (Engine::RebuildIndex, best of REPEATS) on the sealed folder, opened fresh so the data-key cache
// starts cold.
//
// Usage: bench_sealed_catalog [FACES=20000] [SOURCES=20] [REPEATS=3]   (models must be installed)
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "engine/engine.h"
#include "synthetic_catalog.h"

namespace {

namespace fs = std::filesystem;
using likeness::Status;
using likeness::catalog::Catalog;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

bool Check(const Status& s, const char* what) {
  if (s.ok()) return true;
  std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
  return false;
}

// Writes `faces` faces over `sources` sources; returns seconds, or a negative value on error.
double Fill(Catalog& catalog, int faces, int sources) {
  auto ids = likeness::bench::CreateBenchSources(catalog, sources);
  if (!Check(ids.status(), "create sources")) return -1;
  const auto start = Clock::now();
  if (!Check(likeness::bench::AddBenchImages(catalog, *ids, faces), "add images")) return -1;
  return Seconds(start);
}

double Scan(Catalog& catalog, int64_t* seen) {
  const auto start = Clock::now();
  *seen = 0;
  if (!Check(catalog.ForEachEmbedding([seen](int64_t, bool, std::span<const float>) {
        ++*seen;
        return true;
      }),
             "scan"))
    return -1;
  return Seconds(start);
}

}  // namespace

int main(int argc, char** argv) {
  const int faces = argc > 1 ? std::atoi(argv[1]) : 20000;
  const int sources = argc > 2 ? std::atoi(argv[2]) : 20;
  const int repeats = argc > 3 ? std::atoi(argv[3]) : 3;
  if (faces < 2 || sources < 1 || repeats < 1) {
    std::fprintf(stderr, "usage: bench_sealed_catalog [FACES] [SOURCES] [REPEATS]\n");
    return 2;
  }
  const fs::path root = fs::temp_directory_path() / ("bench_sealed_" + std::to_string(getpid()));
  const fs::path plain_dir = root / "plain", sealed_dir = root / "sealed";
  fs::create_directories(plain_dir);
  fs::create_directories(sealed_dir);
  unsetenv(likeness::privacy::kMasterKeyEnvVar);
  setenv("LIKENESS_KEYS", (root / "keys").c_str(), 1);  // keys live outside the data folder

  double plain_write = 0, plain_scan = 0, sealed_write = 0, sealed_scan = 0;
  int64_t plain_seen = 0, sealed_seen = 0;
  {
    auto plain = Catalog::Open(plain_dir / "catalog.db");
    if (!Check(plain.status(), "open plain")) return 1;
    plain_write = Fill(**plain, faces, sources);
    plain_scan = Scan(**plain, &plain_seen);
  }
  {
    auto sealed = likeness::engine::OpenSealedCatalog(sealed_dir);
    if (!Check(sealed.status(), "open sealed")) return 1;
    sealed_write = Fill(*sealed->catalog, faces, sources);
  }
  {
    auto sealed = likeness::engine::OpenSealedCatalog(sealed_dir);  // cold key cache
    if (!Check(sealed.status(), "reopen sealed")) return 1;
    sealed_scan = Scan(*sealed->catalog, &sealed_seen);
  }
  double best_rebuild = 1e9;
  size_t indexed = 0;
  for (int r = 0; r < repeats; ++r) {
    likeness::engine::EngineOptions options;
    options.data_dir = sealed_dir;
    options.allow_model_migration = true;
    auto engine = likeness::engine::Engine::Open(options);  // cold key cache each time
    if (!Check(engine.status(), "open engine")) return 1;
    const auto start = Clock::now();
    if (!Check((*engine)->RebuildIndex(), "rebuild")) return 1;
    best_rebuild = std::min(best_rebuild, Seconds(start));
    indexed = static_cast<size_t>((*engine)->index().size());
  }
  std::printf(
      "{\"faces\": %d, \"sources\": %d, \"plain_write_s\": %.3f, \"sealed_write_s\": %.3f, "
      "\"plain_scan_s\": %.3f, \"sealed_scan_s\": %.3f, \"scanned\": [%lld, %lld], "
      "\"sealed_rebuild_best_s\": %.3f, \"indexed\": %zu}\n",
      faces, sources, plain_write, sealed_write, plain_scan, sealed_scan,
      static_cast<long long>(plain_seen), static_cast<long long>(sealed_seen), best_rebuild,
      indexed);
  std::error_code ec;
  fs::remove_all(root, ec);
  return 0;
}
