// SqliteCatalog: listing a source's ingest batches and a batch's recorded errors.
#include <string>

#include "catalog/row_codec.h"
#include "catalog/sqlite_catalog.h"

namespace likeness::catalog {

Result<std::vector<BatchRecord>> SqliteCatalog::ListBatches(int64_t source_id, int64_t limit) {
  if (limit <= 0) return Status::InvalidArgument("list batches: limit must be > 0");
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(sqlite::Statement query,
                   db_->Prepare("SELECT " + BatchColumns() +
                                " FROM batches WHERE source_id = ? ORDER BY id DESC LIMIT ?"));
  RETURN_IF_ERROR(query.BindInt64(1, source_id));
  RETURN_IF_ERROR(query.BindInt64(2, limit));
  std::vector<BatchRecord> out;
  while (true) {
    ASSIGN_OR_RETURN(const bool row, query.Step());
    if (!row) break;
    out.push_back(ReadBatch(query, 0));
  }
  return out;
}

Result<std::vector<IngestErrorRecord>> SqliteCatalog::ListIngestErrors(int64_t batch_id,
                                                                       int64_t limit) {
  if (limit <= 0) return Status::InvalidArgument("list ingest errors: limit must be > 0");
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(sqlite::Statement query,
                   db_->Prepare("SELECT id, batch_id, path, message, at FROM ingest_errors "
                                "WHERE batch_id = ? ORDER BY id LIMIT ?"));
  RETURN_IF_ERROR(query.BindInt64(1, batch_id));
  RETURN_IF_ERROR(query.BindInt64(2, limit));
  std::vector<IngestErrorRecord> out;
  while (true) {
    ASSIGN_OR_RETURN(const bool row, query.Step());
    if (!row) break;
    out.push_back({query.ColumnInt64(0), query.ColumnInt64(1), query.ColumnText(2),
                   query.ColumnText(3), query.ColumnText(4)});
  }
  return out;
}

}  // namespace likeness::catalog
