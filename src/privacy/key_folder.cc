#include "privacy/key_folder.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>

#include "common/hash.h"
#include "privacy/instance_key.h"
#include "privacy/master_key.h"
#include "privacy/secret.h"
#include "privacy/secret_file.h"

namespace likeness::privacy {
namespace fs = std::filesystem;
namespace {

constexpr const char* kInstanceIdFile = "instance.id";
constexpr size_t kInstanceIdBytes = 16;
// Key files an older build kept inside the data folder, moved out on first open.
constexpr std::array<const char*, 5> kLegacyFiles = {"master.key", "keys.db", "keys.db-wal",
                                                     "keys.db-shm", "instance.key"};
// Files whose presence means the data folder already holds data sealed or signed under its keys.
constexpr std::array<const char*, 2> kDataFiles = {"catalog.db", "audit.db"};

std::mutex g_root_mu;
fs::path g_root_override;  // guarded by g_root_mu

bool IsHexId(const std::string& s) {
  if (s.size() != kInstanceIdBytes * 2) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// The instance id in <data>/instance.id; nullopt when the file is absent.
Result<std::optional<std::string>> ReadInstanceId(const fs::path& data_dir) {
  const fs::path path = data_dir / kInstanceIdFile;
  std::ifstream in(path);
  if (!in) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return std::optional<std::string>();
    return Status::IOError("cannot read " + path.string());
  }
  std::string id;
  std::getline(in, id);
  if (!IsHexId(id)) {
    return Status::Corruption(path.string() + " does not hold an instance id (32 hex characters)");
  }
  return std::optional<std::string>(id);
}

Result<std::string> CreateInstanceId(const fs::path& data_dir) {
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec)
    return Status::IOError("cannot create data folder " + data_dir.string() + ": " + ec.message());
  std::array<uint8_t, kInstanceIdBytes> raw{};
  randombytes_buf(raw.data(), raw.size());
  const std::string text = ToHex(raw) + "\n";
  const Status made =
      CreateSecretFile(data_dir / kInstanceIdFile,
                       std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  // AlreadyExists: another process made the folder's id first; use theirs.
  if (!made.ok() && made.code() != StatusCode::kAlreadyExists) return made;
  ASSIGN_OR_RETURN(const std::optional<std::string> id, ReadInstanceId(data_dir));
  if (!id) return Status::IOError("instance.id vanished from " + data_dir.string());
  return *id;
}

bool AnyExists(const fs::path& dir, std::span<const char* const> names) {
  std::error_code ec;
  for (const char* n : names) {
    if (fs::exists(dir / n, ec)) return true;
  }
  return false;
}

Status MakePrivateDir(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir.parent_path(), ec)) {
    fs::create_directories(dir.parent_path(), ec);
    if (ec)
      return Status::IOError("cannot create " + dir.parent_path().string() + ": " + ec.message());
    ::chmod(dir.parent_path().c_str(), 0700);
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::IOError("cannot create key folder " + dir.string() + ": " +
                           std::strerror(errno));
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::IOError(dir.string() + " is not a folder");
  }
  if (st.st_uid != ::geteuid()) {
    return Status::PermissionDenied("key folder " + dir.string() + " is owned by uid " +
                                    std::to_string(st.st_uid) + ", not by this user (uid " +
                                    std::to_string(::geteuid()) + ")");
  }
  return Status::Ok();
}

// Moves one file into the key folder, mode 0600: a rename, or a copy and unlink across file
// systems.
Status MoveKeyFile(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::rename(from, to, ec);
  if (ec && ec.value() == EXDEV) {
    std::ifstream in(from, std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) return Status::IOError("cannot read " + from.string());
    const Status copied = CreateSecretFile(to, bytes);
    sodium_memzero(bytes.data(), bytes.size());
    RETURN_IF_ERROR(copied);
    fs::remove(from, ec);
  }
  if (ec)
    return Status::IOError("cannot move " + from.string() + " to " + to.string() + ": " +
                           ec.message());
  ::chmod(to.c_str(), 0600);
  return Status::Ok();
}

// Creates whichever of master.key (unless the environment supplies the master key) and
// instance.key is missing.
Status CreateMissingKeys(const KeyFolder& f, bool master_too) {
  std::error_code ec;
  const char* env = std::getenv(kMasterKeyEnvVar);
  if (master_too && (env == nullptr || *env == '\0') && !fs::exists(f.master_key(), ec)) {
    Result<MasterKey> made = CreateMasterKeyFile(f.master_key());
    if (!made.ok() && made.status().code() != StatusCode::kAlreadyExists) return made.status();
  }
  if (master_too && !fs::exists(f.keys_db(), ec)) {
    // An empty key store (SQLite makes it a database on first use): a new folder's keys are all
    // there from the start, so a key store missing later is an error (engine.cc), not a new one.
    const int fd = ::open(f.keys_db().c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0) return Status::Internal("cannot create the key store " + f.keys_db().string());
    ::close(fd);
  }
  return InstanceKey::LoadOrCreate(f.instance_key()).status();
}

Status MissingKeys(const fs::path& data_dir, const fs::path& expected) {
  return Status::NotFound(
      "no keys for data folder " + data_dir.string() + ": they belong in " + expected.string() +
      ", which does not exist. A data folder copied or restored without its keys cannot be "
      "opened. Point --keys (or " +
      kKeysEnvVar +
      ") at the keys root that holds this instance's folder; `likeness init` makes keys only for "
      "a new data folder (data sealed under lost keys cannot be recovered)");
}

Result<KeyFolder> Open(const fs::path& data_dir, bool* existed) {
  if (!EnsureSodium()) return Status::Internal("libsodium failed to initialise");
  ASSIGN_OR_RETURN(const fs::path root, KeysRoot());
  const bool legacy = AnyExists(data_dir, kLegacyFiles);
  const bool has_data = AnyExists(data_dir, kDataFiles);
  ASSIGN_OR_RETURN(std::optional<std::string> id, ReadInstanceId(data_dir));
  if (!id) {
    if (has_data && !legacy) return MissingKeys(data_dir, root / "<instance id>");
    ASSIGN_OR_RETURN(id, CreateInstanceId(data_dir));
  }
  KeyFolder f;
  f.instance_id = *id;
  f.dir = root / *id;
  std::error_code ec;
  const bool dir_existed = fs::exists(f.dir, ec);
  *existed = dir_existed && !legacy;
  if (legacy) {
    RETURN_IF_ERROR(MakePrivateDir(f.dir));
    for (const char* name : kLegacyFiles) {
      const fs::path from = data_dir / name;
      if (!fs::exists(from, ec)) continue;
      if (fs::exists(f.dir / name, ec)) {
        return Status::FailedPrecondition(
            std::string(name) + " exists both in the data folder " + data_dir.string() +
            " and in its key folder " + f.dir.string() +
            ": keep the right one (the key folder's is used) and remove the other");
      }
      RETURN_IF_ERROR(MoveKeyFile(from, f.dir / name));
      f.migrated.push_back(name);
    }
    if (!f.migrated.empty()) {
      std::string names;
      for (const auto& n : f.migrated) names += (names.empty() ? "" : ", ") + n;
      std::fprintf(stderr,
                   "likeness: moved the keys of data folder %s (%s) to %s; keys no longer live in "
                   "the data folder: back that folder up separately (docs/PRIVACY.md)\n",
                   data_dir.c_str(), names.c_str(), f.dir.c_str());
    }
    RETURN_IF_ERROR(CreateMissingKeys(f, !fs::exists(f.keys_db(), ec)));
    return f;
  }
  if (!dir_existed) {
    if (has_data) return MissingKeys(data_dir, f.dir);
    RETURN_IF_ERROR(MakePrivateDir(f.dir));
    f.created = true;
  }
  if (!has_data) RETURN_IF_ERROR(CreateMissingKeys(f, true));  // also finishes an interrupted init
  return f;
}

}  // namespace

void SetKeysRoot(const fs::path& root) {
  std::lock_guard lock(g_root_mu);
  g_root_override = root;
}

Result<fs::path> KeysRoot() {
  {
    std::lock_guard lock(g_root_mu);
    if (!g_root_override.empty()) return fs::absolute(g_root_override);
  }
  if (const char* k = std::getenv(kKeysEnvVar); k && *k) return fs::absolute(k);
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) {
    return fs::absolute(fs::path(x) / "likeness" / "keys");
  }
  if (const char* h = std::getenv("HOME"); h && *h) {
    return fs::path(h) / ".config" / "likeness" / "keys";
  }
  return Status::FailedPrecondition(std::string("no keys folder: pass --keys DIR or set ") +
                                    kKeysEnvVar);
}

Result<KeyFolder> OpenKeyFolder(const fs::path& data_dir) {
  bool existed = false;
  return Open(data_dir, &existed);
}

Result<KeyFolder> InitKeyFolder(const fs::path& data_dir) {
  bool existed = false;
  ASSIGN_OR_RETURN(KeyFolder f, Open(data_dir, &existed));
  if (existed) {
    return Status::AlreadyExists("data folder " + data_dir.string() + " already has its keys in " +
                                 f.dir.string() + " (init never replaces a key)");
  }
  return f;
}

bool IsInside(const fs::path& path, const fs::path& folder) {
  std::error_code ec;
  const fs::path p = fs::weakly_canonical(fs::absolute(path), ec);
  const fs::path d = fs::weakly_canonical(fs::absolute(folder), ec);
  auto pi = p.begin();
  for (auto di = d.begin(); di != d.end(); ++di, ++pi) {
    if (di->empty()) continue;  // a trailing separator
    if (pi == p.end() || *pi != *di) return false;
  }
  return true;
}

}  // namespace likeness::privacy
