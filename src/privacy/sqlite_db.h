// A deliberately small SQLite adapter for the privacy module's own databases (audit.db, keys.db).
//
// The catalog has its own wrapper; this one exists so the privacy stores do not depend on the
// catalog (they must keep working, and stay auditable, whatever the catalog does). Errors come back
// as Status: SQLITE_CORRUPT / SQLITE_NOTADB map to Corruption, everything else to IOError.
//
// Thread safety: none. Each owner (AuditLog, KeyStore) serialises access with its own mutex.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "likeness/status.h"

namespace likeness::privacy {

class SqliteStatement;

class SqliteDb {
 public:
  // Opens (creating if absent) the database at `path` and sets a busy timeout. The parent folder
  // must exist. Errors: IOError, Corruption.
  static Result<std::unique_ptr<SqliteDb>> Open(const std::filesystem::path& path);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Runs one or more statements that return no rows of interest.
  Status Exec(const std::string& sql);
  Result<SqliteStatement> Prepare(std::string_view sql);
  // A Status for the connection's last error, prefixed with `context`.
  Status LastError(std::string_view context) const;
  int Changes() const;
  const std::filesystem::path& path() const { return path_; }
  sqlite3* handle() { return db_; }

 private:
  SqliteDb(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::filesystem::path path_;
};

// A prepared statement; move-only. Bind indexes are 1-based, column indexes 0-based (as in SQLite).
class SqliteStatement {
 public:
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&& other) noexcept;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement();

  Status BindText(int index, std::string_view value);
  Status BindInt64(int index, int64_t value);
  Status BindBlob(int index, std::span<const uint8_t> value);
  // Returns true when a row is available, false when the statement is done.
  Result<bool> Step();
  // Steps once and expects no row (INSERT / UPDATE / DELETE).
  Status Run();
  void Reset();

  bool ColumnIsNull(int column) const;
  std::string ColumnText(int column) const;
  int64_t ColumnInt64(int column) const;
  std::vector<uint8_t> ColumnBlob(int column) const;

 private:
  friend class SqliteDb;
  SqliteStatement(SqliteDb* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  SqliteDb* db_;
  sqlite3_stmt* stmt_;
};

// BEGIN IMMEDIATE on construction via Begin(); rolls back on destruction unless Commit() succeeded.
class SqliteTransaction {
 public:
  static Result<SqliteTransaction> Begin(SqliteDb& db);
  SqliteTransaction(SqliteTransaction&& other) noexcept;
  SqliteTransaction& operator=(SqliteTransaction&&) = delete;
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;
  ~SqliteTransaction();
  Status Commit();

 private:
  explicit SqliteTransaction(SqliteDb* db) : db_(db) {}
  SqliteDb* db_;  // null once committed or moved from
};

}  // namespace likeness::privacy
