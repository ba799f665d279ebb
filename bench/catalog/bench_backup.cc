// bench_backup: what `likeness backup` costs. Fills a data folder as Likeness writes it (sealed
// catalog through engine::OpenSealedCatalog: FACES synthetic faces, 2 per image, over SOURCES
// sources; an audit log of RECORDS records), then, best of REPEATS, times
//   baseline: copying the data folder file by file (what a naive whole-folder backup does), and
//   backup:   backup::WriteBackup (SQLite online backup of each database + tar, no keys),
// and prints one JSON object: seconds and bytes of each and their ratios.
//
// Usage: bench_backup [FACES=100000] [SOURCES=20] [RECORDS=10000] [REPEATS=3]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "backup/backup.h"
#include "catalog/catalog.h"
#include "engine/engine.h"
#include "privacy/audit_log.h"
#include "synthetic_catalog.h"

namespace {

namespace fs = std::filesystem;
using likeness::Status;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

bool Check(const Status& s, const char* what) {
  if (s.ok()) return true;
  std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
  return false;
}

bool Fill(likeness::catalog::Catalog& catalog, int faces, int sources) {
  auto ids = likeness::bench::CreateBenchSources(catalog, sources);
  if (!Check(ids.status(), "create sources")) return false;
  return Check(likeness::bench::AddBenchImages(catalog, *ids, faces), "add images");
}

int64_t FolderBytes(const fs::path& dir) {
  int64_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) n += static_cast<int64_t>(e.file_size());
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  const int faces = argc > 1 ? std::atoi(argv[1]) : 100000;
  const int sources = argc > 2 ? std::atoi(argv[2]) : 20;
  const int records = argc > 3 ? std::atoi(argv[3]) : 10000;
  const int repeats = argc > 4 ? std::atoi(argv[4]) : 3;
  if (faces < 2 || sources < 1 || records < 1 || repeats < 1) {
    std::fprintf(stderr, "usage: bench_backup [FACES] [SOURCES] [RECORDS] [REPEATS]\n");
    return 2;
  }
  const fs::path root = fs::temp_directory_path() / ("bench_backup_" + std::to_string(getpid()));
  const fs::path data = root / "data";
  fs::create_directories(data);
  unsetenv(likeness::privacy::kMasterKeyEnvVar);
  setenv("LIKENESS_KEYS", (root / "keys").c_str(), 1);
  const auto fill_start = Clock::now();
  {
    auto sealed = likeness::engine::OpenSealedCatalog(data);
    if (!Check(sealed.status(), "open sealed catalog") || !Fill(*sealed->catalog, faces, sources)) {
      return 1;
    }
    auto log =
        likeness::privacy::AuditLog::Open(likeness::privacy::AuditLogOptionsForDataDir(data));
    if (!Check(log.status(), "open audit log")) return 1;
    for (int i = 0; i < records; ++i) {
      likeness::privacy::AuditEntry e;
      e.operator_id = "bench";
      e.action = "search";
      e.purpose = "bench";
      e.legal_basis = "art6-1-e";
      e.case_ref = "B-" + std::to_string(i);
      e.result_count = 5;
      if (!Check((*log)->Append(e).status(), "append")) return 1;
    }
  }
  const double fill_s = Seconds(fill_start);
  const int64_t folder_bytes = FolderBytes(data);

  double copy_s = 1e30, backup_s = 1e30;
  int64_t backup_bytes = 0;
  std::error_code ec;
  for (int r = 0; r < repeats; ++r) {
    const fs::path copy = root / "copy";
    fs::remove_all(copy, ec);
    auto start = Clock::now();
    fs::copy(data, copy, fs::copy_options::recursive, ec);
    if (ec) {
      std::fprintf(stderr, "copy: %s\n", ec.message().c_str());
      return 1;
    }
    copy_s = std::min(copy_s, Seconds(start));
    const fs::path tar = root / "backup.tar";
    start = Clock::now();
    auto stats = likeness::backup::WriteBackup(data, tar);
    if (!Check(stats.status(), "backup")) return 1;
    backup_s = std::min(backup_s, Seconds(start));
    backup_bytes = stats->bytes;
  }
  std::printf(
      "{\"faces\": %d, \"sources\": %d, \"audit_records\": %d, \"fill_s\": %.2f,\n"
      " \"folder_bytes\": %lld, \"copy_s\": %.3f,\n"
      " \"backup_bytes\": %lld, \"backup_s\": %.3f,\n"
      " \"backup_over_copy_time\": %.2f, \"backup_over_folder_bytes\": %.3f,\n"
      " \"backup_mb_per_s\": %.1f}\n",
      faces, sources, records, fill_s, static_cast<long long>(folder_bytes), copy_s,
      static_cast<long long>(backup_bytes), backup_s, backup_s / copy_s,
      static_cast<double>(backup_bytes) / static_cast<double>(folder_bytes),
      static_cast<double>(backup_bytes) / 1e6 / backup_s);
  fs::remove_all(root, ec);
  return 0;
}
