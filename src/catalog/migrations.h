// Versioned schema migrations. The applied versions are recorded in
//   schema_migrations(version INTEGER PRIMARY KEY, applied_at TEXT)   -- applied_at: ISO 8601 UTC
// and each migration runs in its own transaction together with its schema_migrations row, so a
// crash or a failing migration leaves the database at the last fully applied version, never in
// between.
//
// The runner knows nothing of the catalog's tables; the catalog's list lives in schema.h.
#pragma once

#include <span>
#include <string_view>

#include "catalog/sqlite_db.h"
#include "likeness/status.h"

namespace likeness::catalog {

struct Migration {
  int version;                   // 1, 2, 3, ... in list order, without gaps
  std::string_view description;  // one line, for humans reading schema history
  std::string_view sql;  // one or more ';'-separated statements (no BEGIN/COMMIT of its own)
};

// The applied schema version: the highest version in schema_migrations; 0 for a database with no
// tables at all (a new file) or an empty schema_migrations table.
// FailedPrecondition if the database holds tables but no schema_migrations (it is some other
// application's database); Corruption if the file is not a SQLite database.
Result<int> ReadSchemaVersion(sqlite::Db& db);

// Brings the database up to migrations.back().version and returns how many migrations were applied
// (0 when it was already current: then nothing is written). Each pending migration runs in its own
// BEGIN IMMEDIATE transaction and the version is re-read under that write lock, so two processes
// opening the same new database at once apply each migration exactly once.
// FailedPrecondition if the database's version is newer than the last migration (a newer build
// wrote it); Internal if `migrations` is not numbered 1..N. On a failing migration, its error is
// returned with context and the database stays at the previous version.
Result<int> ApplyMigrations(sqlite::Db& db, std::span<const Migration> migrations);

}  // namespace likeness::catalog
