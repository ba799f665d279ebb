// API keys: who may call the server, in which role and for which tenant.
//
// Storage (<data>/api_keys.db, its own SQLite file so the catalog and audit stores never hold
// credentials): one row per key with name, role, tenant, created_at, revoked_at and the key's hash.
// The key itself is never stored; it is shown once, when created.
//
// Why a keyed BLAKE2b and not crypto_pwhash: keys are 32 bytes from the system CSPRNG, so there is
// nothing to brute-force (2^256 guesses); a slow password hash would only add ~100 ms to every
// request. A fast hash also lets authentication be one indexed lookup. The hash is keyed with a
// 32-byte secret kept in a separate 0600 file (<data>/api_keys.secret), so a copy of the database
// alone cannot even be used to test a candidate key.
//
// Key format: "lk_" followed by the 32 random bytes in unpadded URL-safe base64 (46 characters).
// Names are unique for the life of the store: a revoked key keeps its row (and its name), so the
// audit trail, which names operators by key name, never becomes ambiguous.
//
// Thread safety: all methods may be called concurrently (one mutex). Several processes may share
// the file (the CLI creates and revokes keys while the server runs; revocation is seen by the next
// request).
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "likeness/status.h"
#include "privacy/secret.h"
#include "server/roles.h"

namespace likeness::privacy {
class SqliteDb;
}

namespace likeness::server {

inline constexpr std::string_view kDefaultTenant = "default";

struct ApiKeyInfo {
  int64_t id = 0;
  std::string name;  // the operator named in the audit trail
  Role role = Role::kSearch;
  std::string tenant;
  std::string created_at;  // UTC
  std::string revoked_at;  // empty while active
  // An attended kiosk key (role selfcheck only): usable only together with the device secret of
  // the operator's own terminal (CheckDevice), and then its self-check shows the full report.
  bool attended = false;
};

struct NewApiKey {
  ApiKeyInfo info;
  std::string key;            // the secret, to show once
  std::string device_secret;  // attended kiosk keys: the terminal's secret, to show once
};

class ApiKeyStore {
 public:
  // Opens (creating if needed) <data_dir>/api_keys.db and <data_dir>/api_keys.secret.
  // Errors: PermissionDenied (secret file readable by others), Corruption, IOError.
  static Result<std::unique_ptr<ApiKeyStore>> Open(const std::filesystem::path& data_dir);
  ~ApiKeyStore();
  ApiKeyStore(const ApiKeyStore&) = delete;
  ApiKeyStore& operator=(const ApiKeyStore&) = delete;

  // Creates a key. Names and tenants are 1-64 characters of [A-Za-z0-9._@-]; an empty tenant is
  // kDefaultTenant. Errors: InvalidArgument (name, tenant), AlreadyExists (name ever used),
  // IOError.
  // `attended` (role selfcheck only, else InvalidArgument) also makes a device secret, stored
  // hashed like the key.
  Result<NewApiKey> Create(std::string_view name, Role role, std::string_view tenant,
                           bool attended = false);
  // OK when `info` is not attended, or `presented` is its device secret; PermissionDenied
  // otherwise (missing or wrong secret: one message).
  Status CheckDevice(const ApiKeyInfo& info, std::string_view presented);
  // Every key, active and revoked, by id.
  Result<std::vector<ApiKeyInfo>> List();
  // Revokes the key with this name. Errors: NotFound, FailedPrecondition (already revoked).
  Status Revoke(std::string_view name);
  // The active key matching `presented`. PermissionDenied for a malformed, unknown or revoked key
  // (one message for all three, so a caller learns nothing about which). IOError.
  Result<ApiKeyInfo> Authenticate(std::string_view presented);
  // Whether an active key with this role exists.
  Result<bool> HasActiveKeyWithRole(Role role);

 private:
  ApiKeyStore(std::unique_ptr<privacy::SqliteDb> db, privacy::SecretKey hash_key);
  std::string HashKey(std::string_view key) const;

  std::mutex mu_;
  std::unique_ptr<privacy::SqliteDb> db_;  // guarded by mu_
  const privacy::SecretKey hash_key_;
};

// True for 1-64 characters of [A-Za-z0-9._@-].
bool IsValidKeyName(std::string_view name);

}  // namespace likeness::server
