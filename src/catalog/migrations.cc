#include "catalog/migrations.h"

#include <string>

#include "catalog/timestamp.h"

namespace likeness::catalog {
namespace {

constexpr std::string_view kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "  version INTEGER PRIMARY KEY,"
    "  applied_at TEXT NOT NULL)";

Status CheckNumbering(std::span<const Migration> migrations) {
  for (size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1) {
      return Status::Internal("migration list is not numbered 1..N: entry " + std::to_string(i) +
                              " has version " + std::to_string(migrations[i].version));
    }
  }
  return Status::Ok();
}

Status CheckNotNewer(int version, int latest) {
  if (version > latest) {
    return Status::FailedPrecondition(
        "database schema version " + std::to_string(version) +
        " is newer than this build supports (" + std::to_string(latest) +
        "); it was written by a newer Likeness: upgrade, or restore a backup");
  }
  return Status::Ok();
}

// Applies `migration` unless another connection already did. Returns whether it was applied.
Result<bool> ApplyOne(sqlite::Db& db, const Migration& migration, int latest) {
  const std::string context = "migration " + std::to_string(migration.version) + " (" +
                              std::string(migration.description) + ")";
  ASSIGN_OR_RETURN(sqlite::Transaction tx,
                   sqlite::Transaction::Begin(db, sqlite::Transaction::Mode::kImmediate));
  ASSIGN_OR_RETURN(const int current, ReadSchemaVersion(db));
  RETURN_IF_ERROR(CheckNotNewer(current, latest));
  if (current >= migration.version) return false;  // applied meanwhile by another process
  if (current != migration.version - 1) {
    return Status::Internal(context + ": database is at version " + std::to_string(current));
  }
  RETURN_IF_ERROR(db.Exec(kCreateMigrationsTable).WithContext(context));
  RETURN_IF_ERROR(db.Exec(migration.sql).WithContext(context));
  ASSIGN_OR_RETURN(sqlite::Statement record,
                   db.Prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)"));
  RETURN_IF_ERROR(record.BindInt64(1, migration.version));
  RETURN_IF_ERROR(record.BindText(2, UtcNowTimestamp()));
  RETURN_IF_ERROR(record.Run().WithContext(context));
  RETURN_IF_ERROR(tx.Commit().WithContext(context));
  return true;
}

}  // namespace

Result<int> ReadSchemaVersion(sqlite::Db& db) {
  ASSIGN_OR_RETURN(const int64_t has_table,
                   db.QueryInt64("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND "
                                 "name = 'schema_migrations'"));
  if (has_table == 0) {
    ASSIGN_OR_RETURN(const int64_t tables,
                     db.QueryInt64("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND "
                                   "name NOT LIKE 'sqlite_%'"));
    if (tables != 0) {
      return Status::FailedPrecondition(
          "database holds " + std::to_string(tables) +
          " table(s) but no schema_migrations: it is not a Likeness catalog");
    }
    return 0;
  }
  ASSIGN_OR_RETURN(const int64_t version,
                   db.QueryInt64("SELECT MAX(version) FROM schema_migrations", 0));
  return static_cast<int>(version);
}

Result<int> ApplyMigrations(sqlite::Db& db, std::span<const Migration> migrations) {
  RETURN_IF_ERROR(CheckNumbering(migrations));
  const int latest = static_cast<int>(migrations.size());
  // Checked before taking any lock, so a newer database is refused without being written.
  ASSIGN_OR_RETURN(const int current, ReadSchemaVersion(db));
  RETURN_IF_ERROR(CheckNotNewer(current, latest));
  int applied = 0;
  for (const Migration& migration : migrations) {
    if (migration.version <= current) continue;
    ASSIGN_OR_RETURN(const bool did_apply, ApplyOne(db, migration, latest));
    if (did_apply) ++applied;
  }
  return applied;
}

}  // namespace likeness::catalog
