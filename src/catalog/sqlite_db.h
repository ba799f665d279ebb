// A thin RAII layer over the SQLite C API: a connection (Db), a prepared statement (Statement) and
// a transaction guard (Transaction). Every fallible call returns a Status; SQLite result codes are
// mapped to Likeness codes in one place (SqliteStatus) so the catalog never sees a raw int.
//
// Code mapping (extended result codes are enabled on every connection):
//   SQLITE_CONSTRAINT_UNIQUE / _PRIMARYKEY -> AlreadyExists
//   SQLITE_CONSTRAINT_FOREIGNKEY           -> NotFound (the referenced row does not exist)
//   other SQLITE_CONSTRAINT_*              -> InvalidArgument (CHECK / NOT NULL)
//   SQLITE_NOTADB, SQLITE_CORRUPT          -> Corruption
//   SQLITE_NOMEM, SQLITE_FULL              -> ResourceExhausted
//   SQLITE_MISUSE, SQLITE_RANGE            -> Internal (a bug in our SQL or bindings)
//   anything else (BUSY, IOERR, CANTOPEN, READONLY, ...) -> IOError
//
// Thread safety: none. A Db and its Statements must be used by one thread at a time; the catalog
// serialises access with its own mutex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "likeness/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace likeness::catalog::sqlite {

// Converts a SQLite result code into a Status whose message is "context: <sqlite message>". `db`
// may be null; when given, its last error message is used (it names the failed constraint, for
// example).
Status SqliteStatus(int rc, sqlite3* db, std::string_view context);

class Statement;

// One SQLite connection. Closed (sqlite3_close_v2) on destruction; Statements must not outlive it.
class Db {
 public:
  // Opens the file read-write, creating it if absent (the parent folder must exist). Enables
  // extended result codes. Sets nothing else: pragmas are the caller's policy. Note that SQLite
  // reads the file lazily, so a non-database file is only reported (as Corruption) by the first
  // statement.
  static Result<std::unique_ptr<Db>> Open(const std::filesystem::path& path);

  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Runs one or more ';'-separated statements that return no rows (or whose rows are ignored).
  Status Exec(std::string_view sql);

  // Compiles exactly one statement. Trailing text after the first statement is an Internal error.
  Result<Statement> Prepare(std::string_view sql);

  // Runs a single-row, single-column query and returns the integer (NULL reads as `if_null`).
  // NotFound if the query yields no row.
  Result<int64_t> QueryInt64(std::string_view sql, int64_t if_null = 0);
  // Same for text (NULL reads as "").
  Result<std::string> QueryText(std::string_view sql);

  // Row id of the last successful INSERT on this connection.
  int64_t LastInsertRowId() const;
  // Rows changed by the last INSERT/UPDATE/DELETE on this connection.
  int64_t Changes() const;
  // True when no transaction is open (SQLite's autocommit mode).
  bool InAutocommit() const;

  const std::filesystem::path& path() const { return path_; }
  sqlite3* handle() const { return db_; }

 private:
  Db(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;
  std::filesystem::path path_;
};

// A prepared statement; finalized on destruction. Movable, not copyable. Parameter indexes start at
// 1 (as in SQLite), column indexes at 0. Text and blobs are copied by SQLite at bind time.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Status BindInt64(int index, int64_t value);
  Status BindDouble(int index, double value);
  Status BindText(int index, std::string_view value);
  // Binds NULL for an empty string (for optional text columns).
  Status BindTextOrNull(int index, std::string_view value);
  Status BindBlob(int index, std::span<const std::byte> value);
  Status BindNull(int index);

  // Advances one row: true when a row is available, false when the statement is done.
  Result<bool> Step();
  // Steps until done, ignoring rows (for INSERT/UPDATE/DELETE).
  Status Run();
  // Makes the statement ready to run again and clears all bindings.
  Status Reset();

  int ColumnCount() const;
  bool ColumnIsNull(int column) const;
  int64_t ColumnInt64(int column) const;
  double ColumnDouble(int column) const;
  // NULL reads as "".
  std::string ColumnText(int column) const;
  // The bytes stay valid until the next Step/Reset or destruction. NULL reads as an empty span.
  std::span<const std::byte> ColumnBlob(int column) const;

 private:
  friend class Db;
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Status Check(int rc, std::string_view context) const;

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

// Scoped transaction: rolls back on destruction unless Commit() succeeded. Declare Statements used
// inside the transaction after the guard, so they are finalized before a rollback.
class Transaction {
 public:
  enum class Mode {
    kDeferred,   // takes the write lock at the first write
    kImmediate,  // takes the write lock now (waits up to the busy timeout); use for read-then-write
  };

  static Result<Transaction> Begin(Db& db, Mode mode);

  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  // Commits. On failure the transaction is rolled back by the destructor.
  Status Commit();

 private:
  explicit Transaction(Db* db) : db_(db) {}
  Db* db_;  // null once committed, rolled back or moved from
};

}  // namespace likeness::catalog::sqlite
