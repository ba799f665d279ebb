#include "governance/gov_store.h"

#include <set>

#include "privacy/utc_time.h"

namespace likeness::governance {

namespace {
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS gov_policy (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS gov_blocked (jurisdiction TEXT PRIMARY KEY, blocked_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS gov_optouts (request_ref TEXT PRIMARY KEY, created_at TEXT NOT NULL,
                                        template BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS gov_face_hits (face_id INTEGER PRIMARY KEY, hits INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS gov_erased_content (tag TEXT PRIMARY KEY, erased_at TEXT NOT NULL,
                                               erased_by TEXT NOT NULL);
)sql";
}  // namespace

Result<std::unique_ptr<GovStore>> GovStore::Open(const std::filesystem::path& catalog_db) {
  ASSIGN_OR_RETURN(auto db, privacy::SqliteDb::Open(catalog_db));
  RETURN_IF_ERROR(db->Exec("PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON;"));
  RETURN_IF_ERROR(db->Exec(kSchema).WithContext("governance tables"));
  return std::unique_ptr<GovStore>(new GovStore(std::move(db)));
}

Result<std::optional<std::string>> GovStore::GetSetting(const std::string& key) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT value FROM gov_policy WHERE key = ?"));
  RETURN_IF_ERROR(st.BindText(1, key));
  ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(st.ColumnText(0));
}

Status GovStore::SetSetting(const std::string& key, const std::string& value) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto st, db_->Prepare("INSERT INTO gov_policy (key, value) VALUES (?, ?) "
                                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value"));
  RETURN_IF_ERROR(st.BindText(1, key));
  RETURN_IF_ERROR(st.BindText(2, value));
  return st.Run();
}

Result<bool> GovStore::Block(const std::string& cc) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto st, db_->Prepare("INSERT OR IGNORE INTO gov_blocked VALUES (?, ?)"));
  RETURN_IF_ERROR(st.BindText(1, cc));
  RETURN_IF_ERROR(st.BindText(2, privacy::FormatUtc(std::chrono::system_clock::now())));
  RETURN_IF_ERROR(st.Run());
  return db_->Changes() > 0;
}

Result<bool> GovStore::Unblock(const std::string& cc) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto st, db_->Prepare("DELETE FROM gov_blocked WHERE jurisdiction = ?"));
  RETURN_IF_ERROR(st.BindText(1, cc));
  RETURN_IF_ERROR(st.Run());
  return db_->Changes() > 0;
}

Result<std::vector<std::string>> GovStore::Blocked() {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT jurisdiction FROM gov_blocked ORDER BY 1"));
  std::vector<std::string> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(st.ColumnText(0));
  }
  return out;
}

Result<bool> GovStore::IsBlocked(const std::string& cc) {
  ASSIGN_OR_RETURN(auto all, Blocked());
  for (const auto& b : all)
    if (b == cc) return true;
  return false;
}

Status GovStore::AddOptOut(const OptOutRow& row) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto st, db_->Prepare("INSERT OR IGNORE INTO gov_optouts VALUES (?, ?, ?)"));
  RETURN_IF_ERROR(st.BindText(1, row.request_ref));
  RETURN_IF_ERROR(st.BindText(2, row.created_at));
  RETURN_IF_ERROR(st.BindBlob(3, row.sealed_template));
  RETURN_IF_ERROR(st.Run());
  if (db_->Changes() == 0) {
    return Status::AlreadyExists("an opt-out with request reference '" + row.request_ref +
                                 "' already exists");
  }
  return Status::Ok();
}

Status GovStore::RemoveOptOut(const std::string& request_ref) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto st, db_->Prepare("DELETE FROM gov_optouts WHERE request_ref = ?"));
  RETURN_IF_ERROR(st.BindText(1, request_ref));
  RETURN_IF_ERROR(st.Run());
  if (db_->Changes() == 0)
    return Status::NotFound("no opt-out with reference '" + request_ref + "'");
  return Status::Ok();
}

Result<std::vector<OptOutRow>> GovStore::OptOuts() {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT request_ref, created_at, template FROM "
                                         "gov_optouts ORDER BY created_at, request_ref"));
  std::vector<OptOutRow> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back({st.ColumnText(0), st.ColumnText(1), st.ColumnBlob(2)});
  }
  return out;
}

Status GovStore::CountHits(std::span<const int64_t> face_ids) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto st, db_->Prepare("INSERT INTO gov_face_hits VALUES (?, 1) ON CONFLICT "
                                         "(face_id) DO UPDATE SET hits = hits + 1"));
  for (int64_t id : face_ids) {
    st.Reset();
    RETURN_IF_ERROR(st.BindInt64(1, id));
    RETURN_IF_ERROR(st.Run());
  }
  return Status::Ok();
}

Result<int64_t> GovStore::Hits(int64_t face_id) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT hits FROM gov_face_hits WHERE face_id = ?"));
  RETURN_IF_ERROR(st.BindInt64(1, face_id));
  ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.ColumnInt64(0) : int64_t{0};
}

Result<std::vector<int64_t>> GovStore::Ids(const std::string& sql, const std::string& arg) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto st, db_->Prepare(sql));
  if (sql.find('?') != std::string::npos) RETURN_IF_ERROR(st.BindText(1, arg));
  std::vector<int64_t> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(st.ColumnInt64(0));
  }
  return out;
}

Result<std::vector<int64_t>> GovStore::FaceIdsWhere(const std::string& where,
                                                    const std::string& arg) {
  return Ids(
      "SELECT f.id FROM faces f JOIN images i ON i.id = f.image_id JOIN sources s ON "
      "s.id = i.source_id WHERE " +
          where + " ORDER BY f.id",
      arg);
}

Result<std::vector<int64_t>> GovStore::ImageIdsWhere(const std::string& where,
                                                     const std::string& arg) {
  return Ids("SELECT i.id FROM images i JOIN sources s ON s.id = i.source_id WHERE " + where +
                 " ORDER BY i.id",
             arg);
}

Result<std::vector<int64_t>> GovStore::ImagesOfFaces(std::span<const int64_t> face_ids) {
  std::set<int64_t> images;
  for (int64_t id : face_ids) {
    ASSIGN_OR_RETURN(auto one,
                     Ids("SELECT image_id FROM faces WHERE id = " + std::to_string(id), ""));
    images.insert(one.begin(), one.end());
  }
  return std::vector<int64_t>(images.begin(), images.end());
}

Result<std::vector<int64_t>> GovStore::ImagesWithoutFaces(std::span<const int64_t> image_ids) {
  std::vector<int64_t> out;
  for (int64_t id : image_ids) {
    const std::string s = std::to_string(id);
    ASSIGN_OR_RETURN(auto hit,
                     Ids("SELECT id FROM images WHERE id = " + s +
                             " AND NOT EXISTS (SELECT 1 FROM faces WHERE image_id = " + s + ")",
                         ""));
    out.insert(out.end(), hit.begin(), hit.end());
  }
  return out;
}

Result<int64_t> GovStore::DeleteImagesAndHits(std::span<const int64_t> image_ids,
                                              std::span<const int64_t> face_ids) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto tx, privacy::SqliteTransaction::Begin(*db_));
  int64_t deleted = 0;
  {
    ASSIGN_OR_RETURN(auto st, db_->Prepare("DELETE FROM images WHERE id = ?"));
    for (int64_t id : image_ids) {
      st.Reset();
      RETURN_IF_ERROR(st.BindInt64(1, id));
      RETURN_IF_ERROR(st.Run());
      deleted += db_->Changes();
    }
    ASSIGN_OR_RETURN(auto hits, db_->Prepare("DELETE FROM gov_face_hits WHERE face_id = ?"));
    for (int64_t id : face_ids) {
      hits.Reset();
      RETURN_IF_ERROR(hits.BindInt64(1, id));
      RETURN_IF_ERROR(hits.Run());
    }
  }
  RETURN_IF_ERROR(tx.Commit());
  return deleted;
}

Status GovStore::Scrub() {
  std::lock_guard lock(mu_);
  auto checkpoint = [&]() -> Status {
    ASSIGN_OR_RETURN(auto st, db_->Prepare("PRAGMA wal_checkpoint(TRUNCATE)"));
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (row && st.ColumnInt64(0) != 0) {
      return Status::IOError("catalog WAL could not be truncated (busy); run the erasure again");
    }
    return Status::Ok();
  };
  RETURN_IF_ERROR(checkpoint());
  RETURN_IF_ERROR(db_->Exec("VACUUM").WithContext("vacuum catalog"));
  return checkpoint();
}

Result<std::pair<int64_t, int64_t>> GovStore::HeldIn(const std::string& cc) {
  ASSIGN_OR_RETURN(auto images, ImageIdsWhere("s.jurisdiction = ?", cc));
  ASSIGN_OR_RETURN(auto faces, FaceIdsWhere("s.jurisdiction = ?", cc));
  return std::make_pair(static_cast<int64_t>(images.size()), static_cast<int64_t>(faces.size()));
}

}  // namespace likeness::governance
