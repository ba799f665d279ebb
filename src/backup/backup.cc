#include "backup/backup.h"

#include <archive.h>
#include <archive_entry.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <ctime>
#include <fstream>
#include <memory>
#include <string_view>
#include <vector>

#include "privacy/key_folder.h"

namespace likeness::backup {
namespace fs = std::filesystem;
namespace {

// Keys, never copied (an older layout kept the first four in the data folder).
constexpr std::array<std::string_view, 7> kKeyFiles = {
    "master.key",   "keys.db",         "keys.db-wal", "keys.db-shm",
    "instance.key", "api_keys.secret", "admin.key"};
// Files holding embeddings in the clear: rebuilt from the catalog after a restore.
constexpr std::array<std::string_view, 1> kPlainVectorFiles = {"hubness.lkhub"};
constexpr std::string_view kPlainVectorDir = "index";
// Uploaded photos, kept in the clear: erasure could not reach their copies in a backup.
constexpr std::string_view kPlainPhotoDir = "uploads";

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Why a file is left out, or empty when it is copied.
std::string LeftOutBecause(const fs::path& rel) {
  const std::string name = rel.filename().string();
  const std::string first = rel.begin()->string();
  if (std::find(kKeyFiles.begin(), kKeyFiles.end(), name) != kKeyFiles.end() ||
      EndsWith(name, ".key") || EndsWith(name, ".secret")) {
    return "key";
  }
  if (first == kPlainVectorDir || std::find(kPlainVectorFiles.begin(), kPlainVectorFiles.end(),
                                            name) != kPlainVectorFiles.end()) {
    return "holds embeddings in the clear; rebuilt from the catalog";
  }
  if (first == kPlainPhotoDir) return "uploaded photo in the clear; erasure could not reach it";
  if (EndsWith(name, "-wal") || EndsWith(name, "-shm") || EndsWith(name, "-journal")) {
    return "in the database snapshot";
  }
  if (name.find(".tmp") != std::string::npos || EndsWith(name, ".lock") || name == "lock") {
    return "temporary or lock file";
  }
  return "";
}

bool IsSqlite(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[16] = {};
  in.read(magic, sizeof magic);
  return in.gcount() == 16 && std::string_view(magic, 15) == "SQLite format 3";
}

// Copies a live database to `to` with the online backup API: a consistent snapshot.
Status SnapshotDatabase(const fs::path& from, const fs::path& to) {
  sqlite3* src = nullptr;
  sqlite3* dst = nullptr;
  struct Close {
    sqlite3** a;
    sqlite3** b;
    ~Close() {
      sqlite3_close(*a);
      sqlite3_close(*b);
    }
  } close{&src, &dst};
  if (sqlite3_open_v2(from.c_str(), &src, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    return Status::IOError("cannot open " + from.string() + ": " + sqlite3_errmsg(src));
  }
  sqlite3_busy_timeout(src, 10'000);
  if (sqlite3_open_v2(to.c_str(), &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    return Status::IOError("cannot create " + to.string() + ": " + sqlite3_errmsg(dst));
  }
  sqlite3_backup* b = sqlite3_backup_init(dst, "main", src, "main");
  if (b == nullptr)
    return Status::IOError("cannot back up " + from.string() + ": " + sqlite3_errmsg(dst));
  int rc = SQLITE_OK;
  do {
    rc = sqlite3_backup_step(b, -1);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(50);
  } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) {
    const std::string msg = "backup of " + from.string() + " failed: " + sqlite3_errstr(rc);
    return rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB ? Status::Corruption(msg)
                                                       : Status::IOError(msg);
  }
  // A self-contained file: no WAL mode (the snapshot has no -wal beside it).
  sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr);
  return Status::Ok();
}

class TarWriter {
 public:
  explicit TarWriter(const fs::path& path) : a_(archive_write_new()), path_(path) {}
  ~TarWriter() {
    if (a_ != nullptr) archive_write_free(a_);
  }
  Status Open() {
    if (archive_write_set_format_pax_restricted(a_) != ARCHIVE_OK ||
        archive_write_open_filename(a_, path_.c_str()) != ARCHIVE_OK) {
      return Error("cannot create");
    }
    return Status::Ok();
  }
  Status Add(const fs::path& file, const std::string& name) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return Status::IOError("cannot read " + file.string());
    std::error_code ec;
    const auto size = fs::file_size(file, ec);
    if (ec) return Status::IOError("cannot stat " + file.string() + ": " + ec.message());
    std::unique_ptr<archive_entry, void (*)(archive_entry*)> e(archive_entry_new(),
                                                               archive_entry_free);
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(size));
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0600);
    archive_entry_set_mtime(e.get(), ::time(nullptr), 0);
    if (archive_write_header(a_, e.get()) != ARCHIVE_OK) return Error("cannot write header to");
    std::vector<char> buf(1 << 20);
    uintmax_t left = size;
    while (left > 0) {
      in.read(buf.data(), static_cast<std::streamsize>(std::min<uintmax_t>(buf.size(), left)));
      const std::streamsize n = in.gcount();
      if (n <= 0) return Status::IOError(file.string() + " shrank while it was backed up");
      if (archive_write_data(a_, buf.data(), static_cast<size_t>(n)) != n) {
        return Error("cannot write to");
      }
      left -= static_cast<uintmax_t>(n);
    }
    return Status::Ok();
  }
  Status Close() {
    const int rc = archive_write_close(a_);
    return rc == ARCHIVE_OK ? Status::Ok() : Error("cannot finish");
  }

 private:
  Status Error(const std::string& what) {
    const char* why = archive_error_string(a_);
    return Status::IOError(what + " " + path_.string() + ": " + (why ? why : "unknown error"));
  }
  archive* a_;
  fs::path path_;
};

}  // namespace

Result<BackupStats> WriteBackup(const fs::path& data_dir, const fs::path& out_file) {
  const auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  if (!fs::is_directory(data_dir, ec)) {
    return Status::NotFound("no data folder at " + data_dir.string());
  }
  if (privacy::IsInside(out_file, data_dir)) {
    return Status::InvalidArgument("the backup " + out_file.string() +
                                   " must be written outside the data folder " + data_dir.string());
  }
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(data_dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) files.push_back(fs::relative(it->path(), data_dir));
  }
  if (ec) return Status::IOError("cannot list " + data_dir.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());

  const fs::path tmp_dir = out_file.string() + ".tmp-" + std::to_string(::getpid());
  const fs::path tmp_file = tmp_dir / "backup.tar";
  fs::remove_all(tmp_dir, ec);
  if (::mkdir(tmp_dir.c_str(), 0700) != 0) {
    return Status::IOError("cannot create " + tmp_dir.string());
  }
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ignored;
      fs::remove_all(dir, ignored);
    }
  } cleanup{tmp_dir};

  BackupStats stats;
  TarWriter tar(tmp_file);
  RETURN_IF_ERROR(tar.Open());
  int snapshot = 0;
  for (const fs::path& rel : files) {
    if (const std::string why = LeftOutBecause(rel); !why.empty()) {
      stats.left_out.push_back(rel.string() + " (" + why + ")");
      continue;
    }
    const fs::path full = data_dir / rel;
    if (IsSqlite(full)) {
      const fs::path copy = tmp_dir / ("db-" + std::to_string(snapshot++));
      RETURN_IF_ERROR(SnapshotDatabase(full, copy));
      RETURN_IF_ERROR(tar.Add(copy, rel.string()));
      fs::remove(copy, ec);
    } else {
      RETURN_IF_ERROR(tar.Add(full, rel.string()));
    }
    stats.files.push_back(rel.string());
  }
  RETURN_IF_ERROR(tar.Close());
  ::chmod(tmp_file.c_str(), 0600);
  fs::rename(tmp_file, out_file, ec);
  if (ec) return Status::IOError("cannot create " + out_file.string() + ": " + ec.message());
  stats.bytes = static_cast<int64_t>(fs::file_size(out_file, ec));
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

}  // namespace likeness::backup
