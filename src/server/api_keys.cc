#include "server/api_keys.h"

#include <sodium.h>

#include <chrono>

#include "privacy/secret_file.h"
#include "privacy/sqlite_db.h"
#include "privacy/utc_time.h"

namespace likeness::server {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kKeyPrefix = "lk_";
constexpr size_t kKeyBytes = 32;
constexpr size_t kMaxNameLength = 64;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS api_keys(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  tenant TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  revoked_at TEXT);
)sql";

// Attended kiosk keys (issue 11): the hash of the terminal's device secret; NULL for other keys.
constexpr const char* kAddDeviceColumn = "ALTER TABLE api_keys ADD COLUMN device_hash TEXT";
constexpr std::string_view kDevicePrefix = "lkd_";

constexpr std::string_view kColumns =
    "id, name, role, tenant, created_at, revoked_at, device_hash IS NOT NULL";

Result<ApiKeyInfo> RowToInfo(const privacy::SqliteStatement& st) {
  ApiKeyInfo info;
  info.id = st.ColumnInt64(0);
  info.name = st.ColumnText(1);
  auto role = ParseRole(st.ColumnText(2));
  if (!role.ok())
    return Status::Corruption("api_keys.db: key '" + info.name + "' has role " + st.ColumnText(2));
  info.role = *role;
  info.tenant = st.ColumnText(3);
  info.created_at = st.ColumnText(4);
  info.revoked_at = st.ColumnIsNull(5) ? "" : st.ColumnText(5);
  info.attended = st.ColumnInt64(6) != 0;
  return info;
}

Result<privacy::SecretKey> LoadOrCreateHashKey(const fs::path& path) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto existing = privacy::ReadSecretFile(path, 4096);
    if (existing.ok()) {
      if (existing->size() != privacy::SecretKey::kSize) {
        return Status::Corruption(path.string() + " does not hold a 32-byte key");
      }
      return privacy::SecretKey(existing->bytes());
    }
    if (existing.status().code() != StatusCode::kNotFound) return existing.status();
    privacy::SecretKey fresh = privacy::SecretKey::Random();
    Status created = privacy::CreateSecretFile(path, fresh.bytes());
    if (created.ok()) return fresh;
    // Another process created it between our read and our create: read theirs.
    if (created.code() != StatusCode::kAlreadyExists) return created;
  }
  return Status::IOError("cannot create " + path.string());
}

}  // namespace

bool IsValidKeyName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '@' || c == '-';
    if (!ok) return false;
  }
  return true;
}

ApiKeyStore::ApiKeyStore(std::unique_ptr<privacy::SqliteDb> db, privacy::SecretKey hash_key)
    : db_(std::move(db)), hash_key_(std::move(hash_key)) {}

ApiKeyStore::~ApiKeyStore() = default;

Result<std::unique_ptr<ApiKeyStore>> ApiKeyStore::Open(const fs::path& data_dir) {
  if (!privacy::EnsureSodium()) return Status::Internal("libsodium failed to initialise");
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) return Status::IOError("cannot create " + data_dir.string() + ": " + ec.message());
  ASSIGN_OR_RETURN(privacy::SecretKey key, LoadOrCreateHashKey(data_dir / "api_keys.secret"));
  ASSIGN_OR_RETURN(auto db, privacy::SqliteDb::Open(data_dir / "api_keys.db"));
  RETURN_IF_ERROR(db->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"));
  RETURN_IF_ERROR(db->Exec(kSchema));
  {
    ASSIGN_OR_RETURN(auto cols, db->Prepare("SELECT 1 FROM pragma_table_info('api_keys') WHERE "
                                            "name = 'device_hash'"));
    ASSIGN_OR_RETURN(bool has_device, cols.Step());
    if (!has_device) RETURN_IF_ERROR(db->Exec(kAddDeviceColumn));
  }
  return std::unique_ptr<ApiKeyStore>(new ApiKeyStore(std::move(db), std::move(key)));
}

std::string ApiKeyStore::HashKey(std::string_view key) const {
  uint8_t out[crypto_generichash_BYTES];
  crypto_generichash(out, sizeof out, reinterpret_cast<const uint8_t*>(key.data()), key.size(),
                     hash_key_.data(), privacy::SecretKey::kSize);
  char hex[2 * sizeof out + 1];
  sodium_bin2hex(hex, sizeof hex, out, sizeof out);
  return std::string(hex);
}

Result<NewApiKey> ApiKeyStore::Create(std::string_view name, Role role, std::string_view tenant,
                                      bool attended) {
  if (attended && role != Role::kSelfCheck) {
    return Status::InvalidArgument("only a selfcheck (kiosk) key can be attended");
  }
  if (!IsValidKeyName(name)) {
    return Status::InvalidArgument("a key name is 1-64 characters of A-Z a-z 0-9 . _ @ -");
  }
  const std::string tenant_name(tenant.empty() ? kDefaultTenant : tenant);
  if (!IsValidKeyName(tenant_name)) {
    return Status::InvalidArgument("a tenant is 1-64 characters of A-Z a-z 0-9 . _ @ -");
  }
  uint8_t random[kKeyBytes];
  randombytes_buf(random, sizeof random);
  char b64[sodium_base64_ENCODED_LEN(kKeyBytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(b64, sizeof b64, random, sizeof random,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(random, sizeof random);
  NewApiKey made;
  made.key = std::string(kKeyPrefix) + b64;
  sodium_memzero(b64, sizeof b64);
  made.info.name = std::string(name);
  made.info.role = role;
  made.info.tenant = tenant_name;
  made.info.created_at = privacy::FormatUtc(std::chrono::system_clock::now());
  made.info.attended = attended;
  if (attended) {
    randombytes_buf(random, sizeof random);
    sodium_bin2base64(b64, sizeof b64, random, sizeof random,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(random, sizeof random);
    made.device_secret = std::string(kDevicePrefix) + b64;
    sodium_memzero(b64, sizeof b64);
  }

  std::lock_guard lock(mu_);
  {
    ASSIGN_OR_RETURN(auto find, db_->Prepare("SELECT 1 FROM api_keys WHERE name = ?"));
    RETURN_IF_ERROR(find.BindText(1, made.info.name));
    ASSIGN_OR_RETURN(bool taken, find.Step());
    if (taken) {
      return Status::AlreadyExists("a key named '" + made.info.name +
                                   "' exists or existed (names are never reused)");
    }
  }
  ASSIGN_OR_RETURN(auto insert,
                   db_->Prepare("INSERT INTO api_keys(name, role, tenant, key_hash, created_at, "
                                "device_hash) VALUES(?, ?, ?, ?, ?, NULLIF(?, ''))"));
  RETURN_IF_ERROR(insert.BindText(1, made.info.name));
  RETURN_IF_ERROR(insert.BindText(2, RoleName(role)));
  RETURN_IF_ERROR(insert.BindText(3, made.info.tenant));
  RETURN_IF_ERROR(insert.BindText(4, HashKey(made.key)));
  RETURN_IF_ERROR(insert.BindText(5, made.info.created_at));
  RETURN_IF_ERROR(insert.BindText(6, attended ? HashKey(made.device_secret) : std::string()));
  RETURN_IF_ERROR(insert.Run());
  made.info.id = sqlite3_last_insert_rowid(db_->handle());
  return made;
}

Result<std::vector<ApiKeyInfo>> ApiKeyStore::List() {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto st,
                   db_->Prepare("SELECT " + std::string(kColumns) + " FROM api_keys ORDER BY id"));
  std::vector<ApiKeyInfo> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    ASSIGN_OR_RETURN(ApiKeyInfo info, RowToInfo(st));
    out.push_back(std::move(info));
  }
  return out;
}

Status ApiKeyStore::Revoke(std::string_view name) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto find, db_->Prepare("SELECT revoked_at FROM api_keys WHERE name = ?"));
  RETURN_IF_ERROR(find.BindText(1, name));
  ASSIGN_OR_RETURN(bool found, find.Step());
  if (!found) return Status::NotFound("no key named '" + std::string(name) + "'");
  if (!find.ColumnIsNull(0)) {
    return Status::FailedPrecondition("key '" + std::string(name) + "' was revoked at " +
                                      find.ColumnText(0));
  }
  ASSIGN_OR_RETURN(auto update,
                   db_->Prepare("UPDATE api_keys SET revoked_at = ? WHERE name = ? AND "
                                "revoked_at IS NULL"));
  RETURN_IF_ERROR(update.BindText(1, privacy::FormatUtc(std::chrono::system_clock::now())));
  RETURN_IF_ERROR(update.BindText(2, name));
  return update.Run();
}

Result<ApiKeyInfo> ApiKeyStore::Authenticate(std::string_view presented) {
  const Status refused = Status::PermissionDenied("unknown or revoked API key");
  const size_t expected_length =
      kKeyPrefix.size() +
      sodium_base64_ENCODED_LEN(kKeyBytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING) - 1;
  if (presented.size() != expected_length || !presented.starts_with(kKeyPrefix)) return refused;
  const std::string hash = HashKey(presented);
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT " + std::string(kColumns) +
                                         " FROM api_keys WHERE key_hash = ? AND revoked_at IS "
                                         "NULL"));
  RETURN_IF_ERROR(st.BindText(1, hash));
  ASSIGN_OR_RETURN(bool found, st.Step());
  if (!found) return refused;
  return RowToInfo(st);
}

Status ApiKeyStore::CheckDevice(const ApiKeyInfo& info, std::string_view presented) {
  if (!info.attended) return Status::Ok();
  const Status refused =
      Status::PermissionDenied("this kiosk key works only on its registered terminal");
  if (presented.empty() || !presented.starts_with(kDevicePrefix) || presented.size() > 128) {
    return refused;
  }
  const std::string hash = HashKey(presented);
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT device_hash FROM api_keys WHERE id = ?"));
  RETURN_IF_ERROR(st.BindInt64(1, info.id));
  ASSIGN_OR_RETURN(bool found, st.Step());
  if (!found || st.ColumnIsNull(0)) return refused;
  const std::string stored = st.ColumnText(0);
  if (stored.size() != hash.size() || sodium_memcmp(stored.data(), hash.data(), hash.size()) != 0) {
    return refused;
  }
  return Status::Ok();
}

Result<bool> ApiKeyStore::HasActiveKeyWithRole(Role role) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT 1 FROM api_keys WHERE role = ? AND revoked_at "
                                         "IS NULL LIMIT 1"));
  RETURN_IF_ERROR(st.BindText(1, RoleName(role)));
  return st.Step();
}

}  // namespace likeness::server
