#include "catalog/sqlite_db.h"

#include <sqlite3.h>

#include <climits>
#include <utility>

namespace likeness::catalog::sqlite {
namespace {

StatusCode MapCode(int rc) {
  switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return StatusCode::kAlreadyExists;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return StatusCode::kNotFound;
    default:
      break;
  }
  switch (rc & 0xff) {  // primary result code
    case SQLITE_CONSTRAINT:
      return StatusCode::kInvalidArgument;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      return StatusCode::kCorruption;
    case SQLITE_NOMEM:
    case SQLITE_FULL:
      return StatusCode::kResourceExhausted;
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
      return StatusCode::kInternal;
    default:
      return StatusCode::kIOError;
  }
}

}  // namespace

Status SqliteStatus(int rc, sqlite3* db, std::string_view context) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return Status::Ok();
  std::string message(context);
  message += ": ";
  // The connection's message is more specific (it names the constraint), but only if it belongs to
  // this error: a later successful call may have reset it.
  if (db != nullptr && sqlite3_extended_errcode(db) == rc) {
    message += sqlite3_errmsg(db);
  } else {
    message += sqlite3_errstr(rc);
  }
  message += " (sqlite code " + std::to_string(rc) + ")";
  return Status(MapCode(rc), std::move(message));
}

// ---------------------------------------------------------------------------------------------------
// Db

Result<std::unique_ptr<Db>> Db::Open(const std::filesystem::path& path) {
  sqlite3* handle = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    Status status = SqliteStatus(rc, handle, "open " + path.string());
    sqlite3_close_v2(handle);  // a handle is returned even on most failures
    return status;
  }
  sqlite3_extended_result_codes(handle, 1);
  return std::unique_ptr<Db>(new Db(handle, path));
}

Db::~Db() { sqlite3_close_v2(db_); }

Status Db::Exec(std::string_view sql) {
  const std::string text(sql);  // sqlite3_exec needs a NUL-terminated string
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  return SqliteStatus(rc, db_, "exec");
}

Result<Statement> Db::Prepare(std::string_view sql) {
  if (sql.size() > static_cast<size_t>(INT_MAX)) return Status::Internal("SQL text too long");
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, &tail);
  if (rc != SQLITE_OK) return SqliteStatus(rc, db_, "prepare");
  Statement statement(db_, stmt);
  if (stmt == nullptr) return Status::Internal("prepare: empty SQL");
  for (const char* p = tail; p != nullptr && p < sql.data() + sql.size(); ++p) {
    if (*p != ' ' && *p != '\n' && *p != '\t' && *p != '\r' && *p != ';') {
      return Status::Internal("prepare: more than one statement in: " + std::string(sql));
    }
  }
  return statement;
}

Result<int64_t> Db::QueryInt64(std::string_view sql, int64_t if_null) {
  ASSIGN_OR_RETURN(Statement stmt, Prepare(sql));
  ASSIGN_OR_RETURN(const bool has_row, stmt.Step());
  if (!has_row) return Status::NotFound("query returned no row: " + std::string(sql));
  return stmt.ColumnIsNull(0) ? if_null : stmt.ColumnInt64(0);
}

Result<std::string> Db::QueryText(std::string_view sql) {
  ASSIGN_OR_RETURN(Statement stmt, Prepare(sql));
  ASSIGN_OR_RETURN(const bool has_row, stmt.Step());
  if (!has_row) return Status::NotFound("query returned no row: " + std::string(sql));
  return stmt.ColumnText(0);
}

int64_t Db::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }
int64_t Db::Changes() const { return sqlite3_changes64(db_); }
bool Db::InAutocommit() const { return sqlite3_get_autocommit(db_) != 0; }

// ---------------------------------------------------------------------------------------------------
// Statement

Statement::Statement(Statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }  // a no-op for null

Status Statement::Check(int rc, std::string_view context) const {
  return SqliteStatus(rc, db_, context);
}

Status Statement::BindInt64(int index, int64_t value) {
  return Check(sqlite3_bind_int64(stmt_, index, value), "bind");
}

Status Statement::BindDouble(int index, double value) {
  return Check(sqlite3_bind_double(stmt_, index, value), "bind");
}

Status Statement::BindText(int index, std::string_view value) {
  return Check(
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
      "bind");
}

Status Statement::BindTextOrNull(int index, std::string_view value) {
  return value.empty() ? BindNull(index) : BindText(index, value);
}

Status Statement::BindBlob(int index, std::span<const std::byte> value) {
  // A zero-length blob (not NULL) still needs a non-null pointer.
  static constexpr std::byte kEmpty{0};
  const void* data = value.empty() ? &kEmpty : value.data();
  return Check(sqlite3_bind_blob64(stmt_, index, data, value.size(), SQLITE_TRANSIENT), "bind");
}

Status Statement::BindNull(int index) { return Check(sqlite3_bind_null(stmt_, index), "bind"); }

Result<bool> Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Check(rc, "step");
}

Status Statement::Run() {
  for (;;) {
    ASSIGN_OR_RETURN(const bool has_row, Step());
    if (!has_row) return Status::Ok();
  }
}

Status Statement::Reset() {
  // sqlite3_reset repeats the last step's error; that error was already reported by Step().
  sqlite3_reset(stmt_);
  return Check(sqlite3_clear_bindings(stmt_), "clear bindings");
}

int Statement::ColumnCount() const { return sqlite3_column_count(stmt_); }

bool Statement::ColumnIsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

int64_t Statement::ColumnInt64(int column) const { return sqlite3_column_int64(stmt_, column); }

double Statement::ColumnDouble(int column) const { return sqlite3_column_double(stmt_, column); }

std::string Statement::ColumnText(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return {};
  const int size = sqlite3_column_bytes(stmt_, column);
  return std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(size));
}

std::span<const std::byte> Statement::ColumnBlob(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  if (data == nullptr) return {};
  const int size = sqlite3_column_bytes(stmt_, column);
  return {static_cast<const std::byte*>(data), static_cast<size_t>(size)};
}

// ---------------------------------------------------------------------------------------------------
// Transaction

Result<Transaction> Transaction::Begin(Db& db, Mode mode) {
  RETURN_IF_ERROR(db.Exec(mode == Mode::kImmediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED")
                      .WithContext("begin transaction"));
  return Transaction(&db);
}

Transaction::Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Transaction::~Transaction() {
  // SQLite rolls back by itself after some errors (SQLITE_FULL, SQLITE_IOERR, ...); then there is
  // nothing left to roll back. A failed ROLLBACK cannot be reported from a destructor; SQLite then
  // rolls back when the connection closes or at the next BEGIN's failure.
  if (db_ != nullptr && !db_->InAutocommit()) {
    (void)db_->Exec("ROLLBACK");
  }
}

Status Transaction::Commit() {
  if (db_ == nullptr) return Status::Internal("commit: transaction is not active");
  RETURN_IF_ERROR(db_->Exec("COMMIT").WithContext("commit"));
  db_ = nullptr;
  return Status::Ok();
}

}  // namespace likeness::catalog::sqlite
