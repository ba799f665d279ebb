// SqliteCatalog: tenants, source shares, the sources a tenant may see, and per-tenant stats.
#include <string>

#include "catalog/row_codec.h"
#include "catalog/schema.h"
#include "catalog/sqlite_catalog.h"
#include "catalog/timestamp.h"

namespace likeness::catalog {
namespace {

using sqlite::Statement;
using sqlite::Transaction;

constexpr size_t kMaxTenantName = 64;
constexpr std::string_view kShareColumns =
    "id, source_id, tenant, legal_basis, reference, granted_by, granted_at, revoked_by, "
    "revoked_at, revoke_reason";

ShareRecord ReadShare(const Statement& st) {
  ShareRecord r;
  r.id = st.ColumnInt64(0);
  r.source_id = st.ColumnInt64(1);
  r.tenant = st.ColumnText(2);
  r.legal_basis = st.ColumnText(3);
  r.reference = st.ColumnText(4);
  r.granted_by = st.ColumnText(5);
  r.granted_at = st.ColumnText(6);
  r.revoked_by = st.ColumnText(7);
  r.revoked_at = st.ColumnText(8);
  r.revoke_reason = st.ColumnText(9);
  return r;
}

// A JSON array of the ids, bound as one parameter and expanded with json_each (no bound-parameter
// limit, one statement whatever the number of sources).
std::string IdArray(std::span<const int64_t> ids) {
  std::string out = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(ids[i]);
  }
  return out + "]";
}

Result<bool> TenantExistsLocked(sqlite::Db& db, const std::string& name) {
  ASSIGN_OR_RETURN(Statement q, db.Prepare("SELECT 1 FROM tenants WHERE name = ?"));
  RETURN_IF_ERROR(q.BindText(1, name));
  return q.Step();
}

}  // namespace

bool IsValidTenantName(std::string_view name) {
  if (name.empty() || name.size() > kMaxTenantName) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '@' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Result<TenantRecord> SqliteCatalog::CreateTenant(const std::string& name) {
  if (!IsValidTenantName(name)) {
    return Status::InvalidArgument("a tenant name is 1-64 characters of A-Z a-z 0-9 . _ @ -");
  }
  std::lock_guard lock(mu_);
  TenantRecord t{name, UtcNowTimestamp()};
  ASSIGN_OR_RETURN(Statement insert,
                   db_->Prepare("INSERT INTO tenants (name, created_at) VALUES (?, ?)"));
  RETURN_IF_ERROR(insert.BindText(1, t.name));
  RETURN_IF_ERROR(insert.BindText(2, t.created_at));
  if (Status s = insert.Run(); !s.ok()) {
    if (s.code() == StatusCode::kAlreadyExists) {
      return Status::AlreadyExists("a tenant named '" + name + "' already exists");
    }
    return s.WithContext("create tenant '" + name + "'");
  }
  return t;
}

Result<std::vector<TenantRecord>> SqliteCatalog::ListTenants() {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Statement q, db_->Prepare("SELECT name, created_at FROM tenants ORDER BY name"));
  std::vector<TenantRecord> out;
  for (;;) {
    ASSIGN_OR_RETURN(const bool row, q.Step());
    if (!row) break;
    out.push_back({q.ColumnText(0), q.ColumnText(1)});
  }
  return out;
}

Result<ShareRecord> SqliteCatalog::ShareSource(const ShareRecord& grant) {
  if (grant.legal_basis.empty()) return Status::InvalidArgument("a share needs a legal basis");
  if (grant.reference.empty()) return Status::InvalidArgument("a share needs a reference");
  if (grant.granted_by.empty()) return Status::InvalidArgument("a share needs who grants it");
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_, Transaction::Mode::kImmediate));
  ASSIGN_OR_RETURN(Statement src, db_->Prepare("SELECT tenant FROM sources WHERE id = ?"));
  RETURN_IF_ERROR(src.BindInt64(1, grant.source_id));
  ASSIGN_OR_RETURN(const bool has_source, src.Step());
  if (!has_source) return Status::NotFound("source " + std::to_string(grant.source_id));
  if (src.ColumnText(0) == grant.tenant) {
    return Status::InvalidArgument("source " + std::to_string(grant.source_id) +
                                   " already belongs to tenant '" + grant.tenant + "'");
  }
  ASSIGN_OR_RETURN(const bool tenant_known, TenantExistsLocked(*db_, grant.tenant));
  if (!tenant_known) return Status::NotFound("tenant '" + grant.tenant + "'");
  ShareRecord stored = grant;
  stored.granted_at = UtcNowTimestamp();
  stored.revoked_by.clear();
  stored.revoked_at.clear();
  stored.revoke_reason.clear();
  ASSIGN_OR_RETURN(Statement insert,
                   db_->Prepare("INSERT INTO source_shares (source_id, tenant, legal_basis, "
                                "reference, granted_by, granted_at) VALUES (?, ?, ?, ?, ?, ?)"));
  RETURN_IF_ERROR(insert.BindInt64(1, stored.source_id));
  RETURN_IF_ERROR(insert.BindText(2, stored.tenant));
  RETURN_IF_ERROR(insert.BindText(3, stored.legal_basis));
  RETURN_IF_ERROR(insert.BindText(4, stored.reference));
  RETURN_IF_ERROR(insert.BindText(5, stored.granted_by));
  RETURN_IF_ERROR(insert.BindText(6, stored.granted_at));
  if (Status s = insert.Run(); !s.ok()) {
    if (s.code() == StatusCode::kAlreadyExists) {
      return Status::AlreadyExists("source " + std::to_string(grant.source_id) +
                                   " is already shared with tenant '" + grant.tenant + "'");
    }
    return s;
  }
  stored.id = db_->LastInsertRowId();
  RETURN_IF_ERROR(tx.Commit());
  return stored;
}

Result<ShareRecord> SqliteCatalog::UnshareSource(int64_t source_id, const std::string& tenant,
                                                 const std::string& revoked_by,
                                                 const std::string& reason) {
  if (revoked_by.empty()) return Status::InvalidArgument("an unshare needs who revokes it");
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_, Transaction::Mode::kImmediate));
  ASSIGN_OR_RETURN(Statement find, db_->Prepare("SELECT " + std::string(kShareColumns) +
                                                " FROM source_shares WHERE source_id = ? AND "
                                                "tenant = ? AND revoked_at IS NULL"));
  RETURN_IF_ERROR(find.BindInt64(1, source_id));
  RETURN_IF_ERROR(find.BindText(2, tenant));
  ASSIGN_OR_RETURN(const bool found, find.Step());
  if (!found) {
    return Status::NotFound("source " + std::to_string(source_id) + " is not shared with tenant '" +
                            tenant + "'");
  }
  ShareRecord r = ReadShare(find);
  r.revoked_by = revoked_by;
  r.revoked_at = UtcNowTimestamp();
  r.revoke_reason = reason;
  ASSIGN_OR_RETURN(Statement update,
                   db_->Prepare("UPDATE source_shares SET revoked_by = ?, revoked_at = ?, "
                                "revoke_reason = ? WHERE id = ?"));
  RETURN_IF_ERROR(update.BindText(1, r.revoked_by));
  RETURN_IF_ERROR(update.BindText(2, r.revoked_at));
  RETURN_IF_ERROR(update.BindText(3, r.revoke_reason));
  RETURN_IF_ERROR(update.BindInt64(4, r.id));
  RETURN_IF_ERROR(update.Run());
  RETURN_IF_ERROR(tx.Commit());
  return r;
}

Result<std::vector<ShareRecord>> SqliteCatalog::ListShares(bool include_revoked) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(
      Statement q,
      db_->Prepare("SELECT " + std::string(kShareColumns) + " FROM source_shares" +
                   (include_revoked ? "" : " WHERE revoked_at IS NULL") + " ORDER BY id"));
  std::vector<ShareRecord> out;
  for (;;) {
    ASSIGN_OR_RETURN(const bool row, q.Step());
    if (!row) break;
    out.push_back(ReadShare(q));
  }
  return out;
}

Result<std::vector<int64_t>> SqliteCatalog::VisibleSourceIds(const std::string& tenant) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Statement q, db_->Prepare("SELECT id FROM sources WHERE tenant = ?1 UNION "
                                             "SELECT source_id FROM source_shares WHERE tenant = "
                                             "?1 AND revoked_at IS NULL ORDER BY 1"));
  RETURN_IF_ERROR(q.BindText(1, tenant));
  std::vector<int64_t> out;
  for (;;) {
    ASSIGN_OR_RETURN(const bool row, q.Step());
    if (!row) break;
    out.push_back(q.ColumnInt64(0));
  }
  return out;
}

Result<CatalogStats> SqliteCatalog::StatsOfSources(std::span<const int64_t> source_ids) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_, Transaction::Mode::kDeferred));
  const std::string ids = IdArray(source_ids);
  const auto count = [&](const std::string& sql) -> Result<int64_t> {
    ASSIGN_OR_RETURN(Statement q, db_->Prepare(sql));
    RETURN_IF_ERROR(q.BindText(1, ids));
    ASSIGN_OR_RETURN(const bool row, q.Step());
    return row ? q.ColumnInt64(0) : 0;
  };
  const std::string in = " IN (SELECT value FROM json_each(?1))";
  CatalogStats stats;
  ASSIGN_OR_RETURN(stats.sources, count("SELECT COUNT(*) FROM sources WHERE id" + in));
  ASSIGN_OR_RETURN(stats.images, count("SELECT COUNT(*) FROM images WHERE source_id" + in));
  ASSIGN_OR_RETURN(stats.faces, count("SELECT COUNT(*) FROM faces f JOIN images i ON i.id = "
                                      "f.image_id WHERE i.source_id" +
                                      in));
  ASSIGN_OR_RETURN(stats.searchable_faces,
                   count("SELECT COUNT(*) FROM faces f JOIN images i ON i.id = f.image_id "
                         "WHERE f.searchable = 1 AND i.source_id" +
                         in));
  ASSIGN_OR_RETURN(stats.batches, count("SELECT COUNT(*) FROM batches WHERE source_id" + in));
  ASSIGN_OR_RETURN(stats.errors, count("SELECT COUNT(*) FROM ingest_errors e JOIN batches b ON "
                                       "b.id = e.batch_id WHERE b.source_id" +
                                       in));
  ASSIGN_OR_RETURN(stats.model_id, ModelIdLocked());
  ASSIGN_OR_RETURN(stats.schema_version, ReadSchemaVersion(*db_));
  RETURN_IF_ERROR(tx.Commit());
  return stats;
}

}  // namespace likeness::catalog
