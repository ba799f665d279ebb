// The key store: one random 32-byte data key per scope ("source:12", "upload:7f3a..."), kept in its
// own SQLite file (by convention <data>/keys.db) wrapped under the master key with
// XChaCha20-Poly1305.
//
// Destroying a scope's data key is crypto-shredding: everything sealed with it (envelope.h) becomes
// unreadable, even in backups of the encrypted data. DestroyDataKey therefore also scrubs keys.db
// so that no copy of the wrapped key survives in the database file or its write-ahead log.
//
// Layout: table data_keys(scope PRIMARY KEY, key_id, wrapped BLOB, nonce BLOB, created_at,
// master_key_id). wrapped = XChaCha20-Poly1305-IETF(master, nonce, data key, ad), where ad binds
// the scope and key_id, so a wrapped key copied to another row fails to unwrap. Table meta holds
// the master key's check value, so a wrong master key is refused at Open instead of failing later
// per key.
//
// Not covered: copies outside keys.db (backups of it, the file system's free blocks, swap). Back up
// keys.db only where erasure can reach the backups, and keep it on storage without snapshots.
//
// Key cache: a store keeps every data key it has unwrapped in memory (a per-source lookup and
// unwrap for each embedding made index rebuilds several times slower). The cached keys are wiped
// (sodium_memzero, via SecretKey) when DestroyDataKey drops one and when the store closes.
// GetDataKey (reads) trusts the cache; GetOrCreateDataKey (writes) still reads the scope's row and
// uses the cached key only if keys.db holds the same key_id, so new data is never sealed under a
// key that another process has destroyed. Consequence: a long-running process that read a scope's
// data before another process destroyed its key can still open that scope's blobs until it closes
// (the erasing process deletes the rows themselves, so this matters only for copies).
//
// Thread safety: all methods may be called concurrently (one mutex).
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "likeness/status.h"
#include "privacy/master_key.h"
#include "privacy/secret.h"

namespace likeness::privacy {

class SqliteDb;

struct DataKey {
  std::string scope;
  std::string
      key_id;  // 32 hex characters, random; changes if the scope's key is destroyed and re-made
  SecretKey key;
};

class KeyStore {
 public:
  // Opens (creating if absent) the store at `db_path` with `master`. A new store records the master
  // key's check value. Errors: PermissionDenied ("master key does not match the key store": the
  // store was created or last rotated with another key), Corruption, IOError.
  static Result<std::unique_ptr<KeyStore>> Open(const std::filesystem::path& db_path,
                                                MasterKey master);
  ~KeyStore();
  KeyStore(const KeyStore&) = delete;
  KeyStore& operator=(const KeyStore&) = delete;

  // The scope's data key, created (and durably stored) on first use. Errors: InvalidArgument (empty
  // scope), Corruption (the wrapped key fails authentication), IOError.
  Result<DataKey> GetOrCreateDataKey(std::string_view scope);
  // The scope's data key without creating one. Errors: NotFound (never created, or destroyed), as
  // above.
  Result<DataKey> GetDataKey(std::string_view scope);

  // Deletes the scope's data key, then checkpoints and truncates the WAL and VACUUMs (with
  // secure_delete on) so the wrapped bytes are gone from keys.db and keys.db-wal. Idempotent: OK
  // when there is no key, and the scrub runs again (so a retry after a failed scrub finishes the
  // job). Errors: IOError (the row is gone but the scrub did not complete: retry).
  Status DestroyDataKey(std::string_view scope);

  // Re-wraps every data key under `new_master` in one transaction, records its check value, then
  // scrubs the old wrapped copies as DestroyDataKey does. Afterwards Open accepts only the new key.
  // Errors: Corruption (a wrapped key fails to unwrap; nothing is changed), IOError.
  Status RotateMasterKey(MasterKey new_master);

  // Whether some scope's current data key has this key_id (tells a blob of another scope from a
  // blob whose key was destroyed). Errors: IOError.
  Result<bool> HasKeyId(std::string_view key_id);

  // The id (MasterKey::id) of the master key in use.
  std::string master_key_id() const;

 private:
  KeyStore(std::unique_ptr<SqliteDb> db, MasterKey master);
  // The scope's key from keys.db (NotFound if absent), reusing the cached unwrapped key when its
  // key_id matches the row; refreshes the cache.
  Result<DataKey> FindLocked(std::string_view scope);
  Status ScrubLocked();

  mutable std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;  // guarded by mu_
  MasterKey master_;              // guarded by mu_
  // Unwrapped data keys by scope (see "Key cache" above); guarded by mu_.
  std::unordered_map<std::string, DataKey> cache_;
};

}  // namespace likeness::privacy
