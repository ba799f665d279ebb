// The governance tables, kept inside catalog.db (so a backup or erasure of the catalog covers them)
// through a second SQLite connection: policy settings, blocked jurisdictions, opt-out templates
// (sealed), and per-face search-hit counters. Also the catalog queries erasure needs (faces by
// source, batch, jurisdiction, image) and the scrub that leaves no erased byte in catalog.db or its
// WAL (secure_delete, checkpoint(TRUNCATE), VACUUM, checkpoint(TRUNCATE)).
//
// Tables (created if absent; names prefixed gov_ so they never clash with catalog migrations):
//   gov_policy(key PRIMARY KEY, value)             e.g. default_retention_days
//   gov_blocked(jurisdiction PRIMARY KEY, blocked_at)
//   gov_optouts(request_ref PRIMARY KEY, created_at, template BLOB)   template: envelope blob
//   gov_face_hits(face_id PRIMARY KEY, hits)
//   gov_erased_content(tag PRIMARY KEY, erased_at, erased_by)   tag: keyed hash of an erased
//       photo's content (Governance::ErasedContentTag); erased_by: the erasure kind ("source", ...)
//
// Thread safety: all methods may be called concurrently (one mutex).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "likeness/status.h"
#include "privacy/sqlite_db.h"

namespace likeness::governance {

struct OptOutRow {
  std::string request_ref;
  std::string created_at;
  std::vector<uint8_t> sealed_template;
};

class GovStore {
 public:
  // Opens catalog.db (which the catalog has already created and migrated). Errors: IOError,
  // Corruption.
  static Result<std::unique_ptr<GovStore>> Open(const std::filesystem::path& catalog_db);

  // Policy settings; nullopt when unset.
  Result<std::optional<std::string>> GetSetting(const std::string& key);
  Status SetSetting(const std::string& key, const std::string& value);

  // Blocked jurisdictions (upper-case codes). Block/Unblock return whether anything changed.
  Result<bool> Block(const std::string& cc);
  Result<bool> Unblock(const std::string& cc);
  Result<std::vector<std::string>> Blocked();
  Result<bool> IsBlocked(const std::string& cc);

  // Opt-out templates. AddOptOut: AlreadyExists for a used reference. RemoveOptOut: NotFound.
  Status AddOptOut(const OptOutRow& row);
  Status RemoveOptOut(const std::string& request_ref);
  Result<std::vector<OptOutRow>> OptOuts();

  // Counts one search hit for each face id (repeats count once per occurrence).
  Status CountHits(std::span<const int64_t> face_ids);
  Result<int64_t> Hits(int64_t face_id);

  // Face ids selected by a SQL condition over faces f JOIN images i JOIN sources s, e.g.
  // FaceIdsWhere("s.jurisdiction = ?", "FR"). REQUIRES: `where` is a constant of the caller's.
  Result<std::vector<int64_t>> FaceIdsWhere(const std::string& where, const std::string& arg);
  // Image ids selected the same way over images i JOIN sources s.
  Result<std::vector<int64_t>> ImageIdsWhere(const std::string& where, const std::string& arg);
  // Image ids of the given faces, without repeats.
  Result<std::vector<int64_t>> ImagesOfFaces(std::span<const int64_t> face_ids);
  // Of `image_ids`, those that no longer have any face.
  Result<std::vector<int64_t>> ImagesWithoutFaces(std::span<const int64_t> image_ids);
  // Deletes images rows (their faces cascade), their ingest rows stay; also drops hit counters of
  // the given faces. Returns the number of images deleted.
  Result<int64_t> DeleteImagesAndHits(std::span<const int64_t> image_ids,
                                      std::span<const int64_t> face_ids);
  // secure_delete, checkpoint(TRUNCATE), VACUUM, checkpoint(TRUNCATE). IOError if the WAL could not
  // be truncated (another connection is reading: retry).
  Status Scrub();

  // Erased photos' content tags (gov_store_erased.cc). RecordErased adds those not yet recorded
  // and returns how many it added; IsErased looks one up; LiftErased deletes one (false when it
  // was not recorded) and scrubs; ErasedCount counts them.
  Result<int64_t> RecordErased(std::span<const std::string> tags, const std::string& erased_by);
  Result<bool> IsErased(const std::string& tag);
  Result<bool> LiftErased(const std::string& tag);
  Result<int64_t> ErasedCount();

  // Counts of images and faces held per jurisdiction (for reports and block messages).
  Result<std::pair<int64_t, int64_t>> HeldIn(const std::string& cc);

 private:
  explicit GovStore(std::unique_ptr<privacy::SqliteDb> db) : db_(std::move(db)) {}
  Result<std::vector<int64_t>> Ids(const std::string& sql, const std::string& arg);
  std::mutex mu_;
  std::unique_ptr<privacy::SqliteDb> db_;
};

}  // namespace likeness::governance
