// SqliteCatalog: opening, sources, batches, meta (generation, model id), stats and integrity
// checks. Images and faces are in sqlite_catalog_faces.cc.
#include "catalog/sqlite_catalog.h"

#include <string>
#include <system_error>

#include "catalog/migrations.h"
#include "catalog/row_codec.h"
#include "catalog/schema.h"
#include "catalog/timestamp.h"
#include "catalog/validation.h"

namespace likeness::catalog {
namespace {

namespace fs = std::filesystem;
using sqlite::Statement;
using sqlite::Transaction;

// Connection policy; see catalog.h ("Storage and durability") for why WAL + synchronous=NORMAL.
Status Configure(sqlite::Db& db) {
  RETURN_IF_ERROR(
      db.Exec("PRAGMA busy_timeout = " + std::to_string(SqliteCatalog::kBusyTimeoutMs)));
  // The first statement that reads the file: SQLite reports a foreign file here, as SQLITE_NOTADB.
  if (Result<int64_t> probe = db.QueryInt64("SELECT COUNT(*) FROM sqlite_master"); !probe.ok()) {
    const Status& s = probe.status();
    if (s.code() == StatusCode::kCorruption) {
      return Status::Corruption("the file is not a SQLite database, or its header is damaged (" +
                                s.message() + ")");
    }
    return s;
  }
  ASSIGN_OR_RETURN(const std::string mode, db.QueryText("PRAGMA journal_mode = WAL"));
  if (mode != "wal") {
    return Status::IOError("could not switch to WAL journal mode (SQLite kept '" + mode + "')");
  }
  RETURN_IF_ERROR(db.Exec("PRAGMA foreign_keys = ON"));
  ASSIGN_OR_RETURN(const int64_t foreign_keys, db.QueryInt64("PRAGMA foreign_keys"));
  if (foreign_keys != 1) {
    return Status::Unsupported("this SQLite build does not enforce foreign keys");
  }
  return db.Exec("PRAGMA synchronous = NORMAL");
}

}  // namespace

Result<std::unique_ptr<Catalog>> SqliteCatalog::Open(const fs::path& db_path,
                                                     std::shared_ptr<EmbeddingCodec> codec) {
  const std::string where = "catalog " + db_path.string();
  if (db_path.empty()) return Status::InvalidArgument("catalog path is empty");
  if (const fs::path parent = db_path.parent_path(); !parent.empty()) {
    std::error_code ec;
    fs::create_directories(parent, ec);
    if (ec) {
      return Status::IOError(where + ": cannot create folder " + parent.string() + ": " +
                             ec.message());
    }
  }
  Result<std::unique_ptr<sqlite::Db>> opened = sqlite::Db::Open(db_path);
  if (!opened.ok()) return opened.status().WithContext(where);
  std::unique_ptr<sqlite::Db> db = std::move(opened).value();
  RETURN_IF_ERROR(Configure(*db).WithContext(where));
  if (Result<int> applied = ApplyMigrations(*db, CatalogMigrations()); !applied.ok()) {
    return applied.status().WithContext(where);
  }
  Result<int> version = ReadSchemaVersion(*db);
  if (!version.ok()) return version.status().WithContext(where);
  std::unique_ptr<SqliteCatalog> catalog(
      new SqliteCatalog(std::move(db), *version, std::move(codec)));
  if (catalog->codec_) {
    std::lock_guard lock(catalog->mu_);
    RETURN_IF_ERROR(catalog->SealPlaintextRowsLocked().WithContext(where));
  }
  return std::unique_ptr<Catalog>(std::move(catalog));
}

// ---------------------------------------------------------------------------------------------------
// Sources

Result<SourceRecord> SqliteCatalog::CreateSource(const SourceRecord& source) {
  RETURN_IF_ERROR(ValidateSource(source));
  std::lock_guard lock(mu_);
  SourceRecord stored = source;
  stored.created_at = UtcNowTimestamp();
  if (stored.tenant.empty()) stored.tenant = kDefaultTenant;
  ASSIGN_OR_RETURN(Statement insert, db_->Prepare(SourceInsertSql()));
  RETURN_IF_ERROR(BindSource(insert, stored, stored.created_at));
  if (Status s = insert.Run(); !s.ok()) {
    if (s.code() == StatusCode::kAlreadyExists) {
      return Status::AlreadyExists("a source named '" + source.name + "' already exists");
    }
    return s.WithContext("create source '" + source.name + "'");
  }
  stored.id = db_->LastInsertRowId();
  return stored;
}

Result<SourceRecord> SqliteCatalog::GetSource(int64_t id) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Statement query,
                   db_->Prepare("SELECT " + SourceColumns() + " FROM sources WHERE id = ?"));
  RETURN_IF_ERROR(query.BindInt64(1, id));
  ASSIGN_OR_RETURN(const bool found, query.Step());
  if (!found) return Status::NotFound("no source with id " + std::to_string(id));
  return ReadSource(query, 0);
}

Result<SourceRecord> SqliteCatalog::GetSourceByName(const std::string& name) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Statement query,
                   db_->Prepare("SELECT " + SourceColumns() + " FROM sources WHERE name = ?"));
  RETURN_IF_ERROR(query.BindText(1, name));
  ASSIGN_OR_RETURN(const bool found, query.Step());
  if (!found) return Status::NotFound("no source named '" + name + "'");
  return ReadSource(query, 0);
}

Result<std::vector<SourceRecord>> SqliteCatalog::ListSources() {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Statement query,
                   db_->Prepare("SELECT " + SourceColumns() + " FROM sources ORDER BY id"));
  std::vector<SourceRecord> sources;
  for (;;) {
    ASSIGN_OR_RETURN(const bool has_row, query.Step());
    if (!has_row) break;
    ASSIGN_OR_RETURN(SourceRecord source, ReadSource(query, 0));
    sources.push_back(std::move(source));
  }
  return sources;
}

// ---------------------------------------------------------------------------------------------------
// Batches

Result<int64_t> SqliteCatalog::BeginBatch(int64_t source_id) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Statement insert,
                   db_->Prepare("INSERT INTO batches (source_id, started_at) VALUES (?, ?)"));
  RETURN_IF_ERROR(insert.BindInt64(1, source_id));
  RETURN_IF_ERROR(insert.BindText(2, UtcNowTimestamp()));
  if (Status s = insert.Run(); !s.ok()) {
    if (s.code() == StatusCode::kNotFound) {
      return Status::NotFound("begin batch: no source with id " + std::to_string(source_id));
    }
    return s.WithContext("begin batch");
  }
  return db_->LastInsertRowId();
}

Status SqliteCatalog::FinishBatch(const BatchRecord& totals) {
  const std::string name = "batch " + std::to_string(totals.id);
  if (totals.images < 0 || totals.faces < 0 || totals.errors < 0 || totals.skipped < 0) {
    return Status::InvalidArgument("finish " + name + ": negative totals");
  }
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Statement update,
                   db_->Prepare("UPDATE batches SET finished_at = ?, images = ?, faces = ?, "
                                "errors = ?, skipped = ? WHERE id = ? AND finished_at IS NULL"));
  RETURN_IF_ERROR(update.BindText(1, UtcNowTimestamp()));
  RETURN_IF_ERROR(update.BindInt64(2, totals.images));
  RETURN_IF_ERROR(update.BindInt64(3, totals.faces));
  RETURN_IF_ERROR(update.BindInt64(4, totals.errors));
  RETURN_IF_ERROR(update.BindInt64(5, totals.skipped));
  RETURN_IF_ERROR(update.BindInt64(6, totals.id));
  RETURN_IF_ERROR(update.Run().WithContext("finish " + name));
  if (db_->Changes() == 1) return Status::Ok();
  // Nothing updated: tell a missing batch from a finished one.
  ASSIGN_OR_RETURN(Statement query, db_->Prepare("SELECT 1 FROM batches WHERE id = ?"));
  RETURN_IF_ERROR(query.BindInt64(1, totals.id));
  ASSIGN_OR_RETURN(const bool exists, query.Step());
  if (!exists) return Status::NotFound("finish " + name + ": no such batch");
  return Status::FailedPrecondition("finish " + name + ": already finished");
}

Status SqliteCatalog::RecordIngestError(int64_t batch_id, const std::string& path,
                                        const std::string& message) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(
      Statement insert,
      db_->Prepare("INSERT INTO ingest_errors (batch_id, path, message, at) VALUES (?, ?, ?, ?)"));
  RETURN_IF_ERROR(insert.BindInt64(1, batch_id));
  RETURN_IF_ERROR(insert.BindText(2, path));
  RETURN_IF_ERROR(insert.BindText(3, message));
  RETURN_IF_ERROR(insert.BindText(4, UtcNowTimestamp()));
  if (Status s = insert.Run(); !s.ok()) {
    if (s.code() == StatusCode::kNotFound) {
      return Status::NotFound("record ingest error: no batch with id " + std::to_string(batch_id));
    }
    return s.WithContext("record ingest error");
  }
  return Status::Ok();
}

Result<BatchRecord> SqliteCatalog::GetBatch(int64_t id) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Statement query,
                   db_->Prepare("SELECT " + BatchColumns() + " FROM batches WHERE id = ?"));
  RETURN_IF_ERROR(query.BindInt64(1, id));
  ASSIGN_OR_RETURN(const bool found, query.Step());
  if (!found) return Status::NotFound("no batch with id " + std::to_string(id));
  return ReadBatch(query, 0);
}

// ---------------------------------------------------------------------------------------------------
// Meta: generation and model id

Result<std::string> SqliteCatalog::ModelIdLocked() {
  Result<std::string> model = db_->QueryText("SELECT value FROM meta WHERE key = 'model_id'");
  if (!model.ok() && model.status().code() == StatusCode::kNotFound) {
    return Status::Corruption("catalog meta has no model_id entry");
  }
  return model;
}

Status SqliteCatalog::SetModelIdLocked(const std::string& model_id) {
  ASSIGN_OR_RETURN(Statement update,
                   db_->Prepare("UPDATE meta SET value = ? WHERE key = 'model_id'"));
  RETURN_IF_ERROR(update.BindText(1, model_id));
  RETURN_IF_ERROR(update.Run().WithContext("set model id"));
  if (db_->Changes() != 1) return Status::Corruption("catalog meta has no model_id entry");
  return Status::Ok();
}

// The index kind lives in meta under 'index_kind' (absent until first set; no migration needed).
Result<std::string> SqliteCatalog::IndexKind() {
  std::lock_guard lock(mu_);
  Result<std::string> kind = db_->QueryText("SELECT value FROM meta WHERE key = 'index_kind'");
  if (!kind.ok() && kind.status().code() == StatusCode::kNotFound) return std::string();
  return kind;
}

Status SqliteCatalog::SetIndexKind(const std::string& kind) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Statement upsert,
                   db_->Prepare("INSERT INTO meta (key, value) VALUES ('index_kind', ?) "
                                "ON CONFLICT (key) DO UPDATE SET value = excluded.value"));
  RETURN_IF_ERROR(upsert.BindText(1, kind));
  return upsert.Run().WithContext("set index kind");
}

Status SqliteCatalog::BumpGenerationLocked() {
  ASSIGN_OR_RETURN(const int64_t before,
                   db_->QueryInt64("SELECT value FROM meta WHERE key = 'generation'"));
  if (known_generation_ && static_cast<uint64_t>(before) != *known_generation_) {
    changed_elsewhere_ = true;
  }
  RETURN_IF_ERROR(db_->Exec("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
                      .WithContext("bump generation"));
  if (db_->Changes() != 1) return Status::Corruption("catalog meta has no generation entry");
  // Rolled back with its transaction only on an error, after which callers rebuild anyway.
  known_generation_ = static_cast<uint64_t>(before) + 1;
  return Status::Ok();
}

Result<bool> SqliteCatalog::ChangedElsewhere() {
  std::lock_guard lock(mu_);
  if (changed_elsewhere_) return true;
  if (!known_generation_) return false;
  ASSIGN_OR_RETURN(const int64_t now,
                   db_->QueryInt64("SELECT value FROM meta WHERE key = 'generation'"));
  return static_cast<uint64_t>(now) != *known_generation_;
}

void SqliteCatalog::MarkGenerationSeen(uint64_t generation) {
  std::lock_guard lock(mu_);
  known_generation_ = generation;
  changed_elsewhere_ = false;
}

Status SqliteCatalog::SyncModelIdLocked() {
  // Two single-aggregate queries: each is answered from the faces(model_id) index without a scan.
  ASSIGN_OR_RETURN(const std::string lowest, db_->QueryText("SELECT MIN(model_id) FROM faces"));
  ASSIGN_OR_RETURN(const std::string highest, db_->QueryText("SELECT MAX(model_id) FROM faces"));
  if (lowest.empty() || lowest != highest) return Status::Ok();  // no faces, or a mix of models
  ASSIGN_OR_RETURN(const std::string current, ModelIdLocked());
  if (current == lowest) return Status::Ok();
  return SetModelIdLocked(lowest);
}

Result<uint64_t> SqliteCatalog::Generation() {
  std::lock_guard lock(mu_);
  Result<int64_t> generation = db_->QueryInt64("SELECT value FROM meta WHERE key = 'generation'");
  if (!generation.ok()) {
    if (generation.status().code() == StatusCode::kNotFound) {
      return Status::Corruption("catalog meta has no generation entry");
    }
    return generation.status();
  }
  if (*generation < 0) return Status::Corruption("catalog generation is negative");
  return static_cast<uint64_t>(*generation);
}

Result<std::string> SqliteCatalog::ModelId() {
  std::lock_guard lock(mu_);
  return ModelIdLocked();
}

// ---------------------------------------------------------------------------------------------------
// Stats and integrity

Result<CatalogStats> SqliteCatalog::Stats() {
  std::lock_guard lock(mu_);
  // One read transaction, so the counts agree with each other even while another process writes.
  ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_, Transaction::Mode::kDeferred));
  CatalogStats stats;
  ASSIGN_OR_RETURN(stats.sources, db_->QueryInt64("SELECT COUNT(*) FROM sources"));
  ASSIGN_OR_RETURN(stats.images, db_->QueryInt64("SELECT COUNT(*) FROM images"));
  ASSIGN_OR_RETURN(stats.faces, db_->QueryInt64("SELECT COUNT(*) FROM faces"));
  ASSIGN_OR_RETURN(stats.searchable_faces,
                   db_->QueryInt64("SELECT COUNT(*) FROM faces WHERE searchable = 1"));
  ASSIGN_OR_RETURN(stats.batches, db_->QueryInt64("SELECT COUNT(*) FROM batches"));
  ASSIGN_OR_RETURN(stats.errors, db_->QueryInt64("SELECT COUNT(*) FROM ingest_errors"));
  ASSIGN_OR_RETURN(stats.model_id, ModelIdLocked());
  ASSIGN_OR_RETURN(stats.schema_version, ReadSchemaVersion(*db_));
  RETURN_IF_ERROR(tx.Commit());
  return stats;
}

Status SqliteCatalog::CheckIntegrity() {
  constexpr int kMaxReported = 5;
  std::lock_guard lock(mu_);
  std::string problems;
  int count = 0;
  auto note = [&](const std::string& problem) {
    if (++count <= kMaxReported) problems += (problems.empty() ? "" : "; ") + problem;
  };
  ASSIGN_OR_RETURN(Statement integrity,
                   db_->Prepare("PRAGMA integrity_check(" + std::to_string(kMaxReported) + ")"));
  for (;;) {
    ASSIGN_OR_RETURN(const bool has_row, integrity.Step());
    if (!has_row) break;
    if (std::string row = integrity.ColumnText(0); row != "ok") note(row);
  }
  ASSIGN_OR_RETURN(Statement foreign_keys, db_->Prepare("PRAGMA foreign_key_check"));
  for (;;) {
    ASSIGN_OR_RETURN(const bool has_row, foreign_keys.Step());
    if (!has_row) break;
    note(foreign_keys.ColumnText(0) + " row " + std::to_string(foreign_keys.ColumnInt64(1)) +
         " refers to a missing " + foreign_keys.ColumnText(2) + " row");
  }
  if (count == 0) return Status::Ok();
  return Status::Corruption("catalog integrity check found " + std::to_string(count) +
                            " problem(s): " + problems);
}

}  // namespace likeness::catalog
