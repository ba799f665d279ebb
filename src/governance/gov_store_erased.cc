// GovStore: the erased photos' content tags (gov_erased_content), which keep erased photos from
// being ingested again.
#include <chrono>

#include "governance/gov_store.h"  // NOLINT: this file implements part of it
#include "privacy/utc_time.h"

namespace likeness::governance {

Result<int64_t> GovStore::RecordErased(std::span<const std::string> tags,
                                       const std::string& erased_by) {
  std::lock_guard lock(mu_);
  if (tags.empty()) return int64_t{0};
  const std::string now = privacy::FormatUtc(std::chrono::system_clock::now());
  RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
  int64_t added = 0;
  Status status;
  {
    auto st = db_->Prepare("INSERT OR IGNORE INTO gov_erased_content VALUES (?, ?, ?)");
    status = st.status();
    for (size_t i = 0; status.ok() && i < tags.size(); ++i) {
      st->Reset();
      status = st->BindText(1, tags[i]);
      if (status.ok()) status = st->BindText(2, now);
      if (status.ok()) status = st->BindText(3, erased_by);
      if (status.ok()) status = st->Run();
      if (status.ok()) added += db_->Changes();
    }
  }
  if (!status.ok()) {
    (void)db_->Exec("ROLLBACK");
    return status.WithContext("recording erased content");
  }
  RETURN_IF_ERROR(db_->Exec("COMMIT"));
  return added;
}

Result<bool> GovStore::IsErased(const std::string& tag) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT 1 FROM gov_erased_content WHERE tag = ?"));
  RETURN_IF_ERROR(st.BindText(1, tag));
  return st.Step();
}

Result<bool> GovStore::LiftErased(const std::string& tag) {
  {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(auto st, db_->Prepare("DELETE FROM gov_erased_content WHERE tag = ?"));
    RETURN_IF_ERROR(st.BindText(1, tag));
    RETURN_IF_ERROR(st.Run());
    if (db_->Changes() == 0) return false;
  }
  RETURN_IF_ERROR(Scrub());
  return true;
}

Result<int64_t> GovStore::ErasedCount() {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT COUNT(*) FROM gov_erased_content"));
  ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.ColumnInt64(0) : int64_t{0};
}

}  // namespace likeness::governance
