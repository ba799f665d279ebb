#include "privacy/key_store.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <array>
#include <vector>

#include "common/hash.h"
#include "privacy/sqlite_db.h"
#include "privacy/utc_time.h"

namespace likeness::privacy {
namespace {

constexpr int64_t kSchemaVersion = 1;
constexpr size_t kNonceSize = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kTagSize = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr size_t kWrappedSize = SecretKey::kSize + kTagSize;
constexpr size_t kKeyIdBytes = 16;
constexpr std::string_view kWrapTag = "likeness-data-key-v1";
constexpr const char* kCheckValueName = "master_key_check";
constexpr const char* kMasterIdName = "master_key_id";

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS data_keys(
  scope TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  wrapped BLOB NOT NULL,
  nonce BLOB NOT NULL,
  created_at TEXT NOT NULL,
  master_key_id TEXT NOT NULL);
)sql";

// Associated data for wrapping: binds the wrapped key to its row (scope, key_id).
std::string WrapAd(std::string_view scope, std::string_view key_id) {
  std::string ad(kWrapTag);
  ad += '|';
  ad += std::to_string(scope.size());
  ad += ':';
  ad.append(scope);
  ad += '|';
  ad.append(key_id);
  return ad;
}

struct Wrapped {
  std::vector<uint8_t> ciphertext;
  std::array<uint8_t, kNonceSize> nonce{};
};

Wrapped Wrap(const SecretKey& master, const SecretKey& data_key, std::string_view scope,
             std::string_view key_id) {
  Wrapped w;
  w.ciphertext.resize(kWrappedSize);
  randombytes_buf(w.nonce.data(), w.nonce.size());
  const std::string ad = WrapAd(scope, key_id);
  unsigned long long n = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(w.ciphertext.data(), &n, data_key.data(),
                                             SecretKey::kSize,
                                             reinterpret_cast<const uint8_t*>(ad.data()), ad.size(),
                                             nullptr, w.nonce.data(), master.data());
  return w;
}

Result<SecretKey> Unwrap(const SecretKey& master, std::span<const uint8_t> wrapped,
                         std::span<const uint8_t> nonce, std::string_view scope,
                         std::string_view key_id) {
  const std::string bad = "data key for scope \"" + std::string(scope) + "\" in keys.db ";
  if (wrapped.size() != kWrappedSize || nonce.size() != kNonceSize) {
    return Status::Corruption(bad + "has the wrong size");
  }
  SecretKey key;
  unsigned long long n = 0;
  const std::string ad = WrapAd(scope, key_id);
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(key.mutable_data(), &n, nullptr, wrapped.data(),
                                                 wrapped.size(),
                                                 reinterpret_cast<const uint8_t*>(ad.data()),
                                                 ad.size(), nonce.data(), master.data()) != 0 ||
      n != SecretKey::kSize) {
    return Status::Corruption(bad + "failed authentication (the row was altered or moved)");
  }
  return key;
}

Result<std::optional<std::vector<uint8_t>>> ReadMeta(SqliteDb& db, const char* name) {
  ASSIGN_OR_RETURN(SqliteStatement s, db.Prepare("SELECT value FROM meta WHERE name = ?"));
  RETURN_IF_ERROR(s.BindText(1, name));
  ASSIGN_OR_RETURN(const bool row, s.Step());
  if (!row) return std::optional<std::vector<uint8_t>>();
  return std::optional(s.ColumnBlob(0));
}

Status WriteMeta(SqliteDb& db, const char* name, std::span<const uint8_t> value) {
  ASSIGN_OR_RETURN(SqliteStatement s,
                   db.Prepare("INSERT OR REPLACE INTO meta(name, value) VALUES(?, ?)"));
  RETURN_IF_ERROR(s.BindText(1, name));
  RETURN_IF_ERROR(s.BindBlob(2, value));
  return s.Run();
}

Status WriteMasterMeta(SqliteDb& db, const MasterKey& master) {
  const auto check = master.CheckValue();
  RETURN_IF_ERROR(WriteMeta(db, kCheckValueName, check));
  const std::string id = master.id();
  return WriteMeta(db, kMasterIdName,
                   std::span(reinterpret_cast<const uint8_t*>(id.data()), id.size()));
}

Status Prepare(SqliteDb& db, const MasterKey& master) {
  RETURN_IF_ERROR(db.Exec("PRAGMA journal_mode=WAL"));
  RETURN_IF_ERROR(db.Exec("PRAGMA synchronous=FULL"));
  // Deleted content is overwritten with zeros instead of lingering in free space.
  RETURN_IF_ERROR(db.Exec("PRAGMA secure_delete=ON"));
  ASSIGN_OR_RETURN(SqliteTransaction txn, SqliteTransaction::Begin(db));
  int64_t version = 0;
  {
    ASSIGN_OR_RETURN(SqliteStatement v, db.Prepare("PRAGMA user_version"));
    ASSIGN_OR_RETURN(const bool has_v, v.Step());
    if (has_v) version = v.ColumnInt64(0);
  }
  if (version > kSchemaVersion) {
    return Status::Unsupported(db.path().string() + " has key store schema version " +
                               std::to_string(version) + "; this build reads up to " +
                               std::to_string(kSchemaVersion));
  }
  RETURN_IF_ERROR(db.Exec(kSchema));
  RETURN_IF_ERROR(db.Exec("PRAGMA user_version=" + std::to_string(kSchemaVersion)));

  ASSIGN_OR_RETURN(const auto stored, ReadMeta(db, kCheckValueName));
  if (!stored) {
    ASSIGN_OR_RETURN(SqliteStatement count, db.Prepare("SELECT COUNT(*) FROM data_keys"));
    ASSIGN_OR_RETURN(const bool has_count, count.Step());
    if (has_count && count.ColumnInt64(0) > 0) {
      return Status::Corruption(db.path().string() +
                                " holds data keys but no master key check value");
    }
    RETURN_IF_ERROR(WriteMasterMeta(db, master));
  } else {
    const auto expected = master.CheckValue();
    if (stored->size() != expected.size() ||
        sodium_memcmp(stored->data(), expected.data(), expected.size()) != 0) {
      ASSIGN_OR_RETURN(const auto stored_id, ReadMeta(db, kMasterIdName));
      const std::string want =
          stored_id ? std::string(stored_id->begin(), stored_id->end()) : std::string("unknown");
      return Status::PermissionDenied("master key does not match the key store " +
                                      db.path().string() + " (it expects master key id " + want +
                                      ", this key's id is " + master.id() + ")");
    }
  }
  return txn.Commit();
}

}  // namespace

Result<std::unique_ptr<KeyStore>> KeyStore::Open(const std::filesystem::path& db_path,
                                                 MasterKey master) {
  if (!EnsureSodium()) return Status::Internal("libsodium failed to initialise");
  // Wrapped data keys are secrets: the file (and the WAL and shared-memory files SQLite creates
  // with the database's mode) is the owner's alone, whatever the umask.
  if (const int fd = ::open(db_path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600); fd >= 0) {
    ::close(fd);
  }
  std::error_code ec;
  std::filesystem::permissions(
      db_path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
      std::filesystem::perm_options::replace, ec);
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(db_path));
  RETURN_IF_ERROR(Prepare(*db, master));
  return std::unique_ptr<KeyStore>(new KeyStore(std::move(db), std::move(master)));
}

KeyStore::KeyStore(std::unique_ptr<SqliteDb> db, MasterKey master)
    : db_(std::move(db)), master_(std::move(master)) {}

KeyStore::~KeyStore() = default;

std::string KeyStore::master_key_id() const {
  std::lock_guard lock(mu_);
  return master_.id();
}

Result<DataKey> KeyStore::FindLocked(std::string_view scope) {
  ASSIGN_OR_RETURN(SqliteStatement s,
                   db_->Prepare("SELECT key_id, wrapped, nonce, master_key_id FROM data_keys "
                                "WHERE scope = ?"));
  RETURN_IF_ERROR(s.BindText(1, scope));
  ASSIGN_OR_RETURN(const bool row, s.Step());
  const std::string scope_str(scope);
  if (!row) {
    cache_.erase(scope_str);  // destroyed by another process: never use it again here
    return Status::NotFound("no data key for scope \"" + scope_str + "\"");
  }
  DataKey dk;
  dk.scope = scope_str;
  dk.key_id = s.ColumnText(0);
  if (const auto it = cache_.find(scope_str); it != cache_.end()) {
    if (it->second.key_id == dk.key_id) {
      dk.key = it->second.key.Clone();
      return dk;
    }
    cache_.erase(it);
  }
  const std::string wrapped_under = s.ColumnText(3);
  if (wrapped_under != master_.id()) {
    return Status::Corruption("data key for scope \"" + dk.scope +
                              "\" is wrapped under master key " + wrapped_under +
                              ", not the current " + master_.id());
  }
  ASSIGN_OR_RETURN(dk.key,
                   Unwrap(master_.key(), s.ColumnBlob(1), s.ColumnBlob(2), scope, dk.key_id));
  cache_.emplace(scope_str, DataKey{dk.scope, dk.key_id, dk.key.Clone()});
  return dk;
}

Result<DataKey> KeyStore::GetDataKey(std::string_view scope) {
  if (scope.empty()) return Status::InvalidArgument("a key scope must not be empty");
  std::lock_guard lock(mu_);
  if (const auto it = cache_.find(std::string(scope)); it != cache_.end()) {
    return DataKey{it->second.scope, it->second.key_id, it->second.key.Clone()};
  }
  return FindLocked(scope);
}

Result<DataKey> KeyStore::GetOrCreateDataKey(std::string_view scope) {
  if (scope.empty()) return Status::InvalidArgument("a key scope must not be empty");
  std::lock_guard lock(mu_);
  Result<DataKey> found = FindLocked(scope);
  if (found.ok() || found.status().code() != StatusCode::kNotFound) return found;

  // Another process may create it between our read and our write lock; look again inside.
  ASSIGN_OR_RETURN(SqliteTransaction txn, SqliteTransaction::Begin(*db_));
  found = FindLocked(scope);
  if (found.ok() || found.status().code() != StatusCode::kNotFound) return found;

  DataKey dk;
  dk.scope = std::string(scope);
  std::array<uint8_t, kKeyIdBytes> id{};
  randombytes_buf(id.data(), id.size());
  dk.key_id = ToHex(id);
  dk.key = SecretKey::Random();
  const Wrapped w = Wrap(master_.key(), dk.key, scope, dk.key_id);
  ASSIGN_OR_RETURN(SqliteStatement s,
                   db_->Prepare("INSERT INTO data_keys(scope, key_id, wrapped, nonce, created_at, "
                                "master_key_id) VALUES(?, ?, ?, ?, ?, ?)"));
  RETURN_IF_ERROR(s.BindText(1, scope));
  RETURN_IF_ERROR(s.BindText(2, dk.key_id));
  RETURN_IF_ERROR(s.BindBlob(3, w.ciphertext));
  RETURN_IF_ERROR(s.BindBlob(4, w.nonce));
  RETURN_IF_ERROR(s.BindText(5, FormatUtc(std::chrono::system_clock::now())));
  RETURN_IF_ERROR(s.BindText(6, master_.id()));
  RETURN_IF_ERROR(s.Run());
  RETURN_IF_ERROR(txn.Commit());
  cache_.emplace(dk.scope, DataKey{dk.scope, dk.key_id, dk.key.Clone()});
  return dk;
}

Result<bool> KeyStore::HasKeyId(std::string_view key_id) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(SqliteStatement s, db_->Prepare("SELECT 1 FROM data_keys WHERE key_id = ?"));
  RETURN_IF_ERROR(s.BindText(1, key_id));
  return s.Step();
}

Status KeyStore::ScrubLocked() {
  // Move every page into keys.db and empty the WAL, rebuild the file without free pages
  // (secure_delete has zeroed the deleted cells), then empty the WAL that VACUUM wrote through.
  for (const char* sql :
       {"PRAGMA wal_checkpoint(TRUNCATE)", "VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)"}) {
    ASSIGN_OR_RETURN(SqliteStatement s, db_->Prepare(sql));
    ASSIGN_OR_RETURN(const bool row, s.Step());
    // wal_checkpoint returns (busy, log frames, checkpointed frames); busy = another connection
    // held the database and the WAL could not be emptied.
    if (row && s.ColumnInt64(0) != 0) {
      return Status::IOError(
          "keys.db is in use by another connection; the WAL could not be scrubbed");
    }
  }
  return Status::Ok();
}

Status KeyStore::DestroyDataKey(std::string_view scope) {
  if (scope.empty()) return Status::InvalidArgument("a key scope must not be empty");
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(SqliteStatement s, db_->Prepare("DELETE FROM data_keys WHERE scope = ?"));
  RETURN_IF_ERROR(s.BindText(1, scope));
  RETURN_IF_ERROR(s.Run());
  cache_.erase(std::string(scope));  // SecretKey's destructor wipes the key
  return ScrubLocked().WithContext("data key for \"" + std::string(scope) + "\" deleted, but");
}

Status KeyStore::RotateMasterKey(MasterKey new_master) {
  std::lock_guard lock(mu_);
  {
    ASSIGN_OR_RETURN(SqliteTransaction txn, SqliteTransaction::Begin(*db_));
    ASSIGN_OR_RETURN(SqliteStatement all,
                     db_->Prepare("SELECT scope FROM data_keys ORDER BY scope"));
    std::vector<std::string> scopes;
    while (true) {
      ASSIGN_OR_RETURN(const bool row, all.Step());
      if (!row) break;
      scopes.push_back(all.ColumnText(0));
    }
    ASSIGN_OR_RETURN(SqliteStatement update,
                     db_->Prepare("UPDATE data_keys SET wrapped = ?, nonce = ?, master_key_id = ? "
                                  "WHERE scope = ?"));
    const std::string new_id = new_master.id();
    for (const std::string& scope : scopes) {
      ASSIGN_OR_RETURN(const DataKey dk, FindLocked(scope));
      const Wrapped w = Wrap(new_master.key(), dk.key, scope, dk.key_id);
      update.Reset();
      RETURN_IF_ERROR(update.BindBlob(1, w.ciphertext));
      RETURN_IF_ERROR(update.BindBlob(2, w.nonce));
      RETURN_IF_ERROR(update.BindText(3, new_id));
      RETURN_IF_ERROR(update.BindText(4, scope));
      RETURN_IF_ERROR(update.Run());
    }
    RETURN_IF_ERROR(WriteMasterMeta(*db_, new_master));
    RETURN_IF_ERROR(txn.Commit());
  }
  master_ = std::move(new_master);
  return ScrubLocked().WithContext("master key rotated, but the old wrapped keys");
}

}  // namespace likeness::privacy
