#include "governance/retention.h"

#include <chrono>

#include "governance/policy_ops.h"
#include "privacy/legal.h"

namespace likeness::governance {

namespace {
// Days since 1970-01-01 of a valid date.
int64_t DayNumber(const privacy::Date& d) {
  using namespace std::chrono;
  return sys_days(year(d.year) / month(static_cast<unsigned>(d.month)) /
                  day(static_cast<unsigned>(d.day)))
      .time_since_epoch()
      .count();
}
}  // namespace

std::string TodayUtc() {
  using namespace std::chrono;
  const year_month_day ymd(floor<days>(system_clock::now()));
  return privacy::FormatDate({static_cast<int>(ymd.year()), static_cast<int>(unsigned(ymd.month())),
                              static_cast<int>(unsigned(ymd.day()))});
}

Result<std::vector<int64_t>> ExpiredFaces(Governance& gov, const std::string& today_text) {
  ASSIGN_OR_RETURN(privacy::Date today, privacy::ParseDate(today_text));
  ASSIGN_OR_RETURN(auto default_days, DefaultRetentionDays(gov));
  const std::string t = privacy::FormatDate(today);
  // Sources with their own limit: kept through retain_until.
  ASSIGN_OR_RETURN(std::vector<int64_t> out,
                   gov.store().FaceIdsWhere("s.retain_until IS NOT NULL AND s.retain_until <> '' "
                                            "AND s.retain_until < ?",
                                            t));
  if (default_days) {
    // The cut-off ingest date: images ingested before today - days have expired.
    using namespace std::chrono;
    const sys_days cut(days(DayNumber(today) - *default_days));
    const year_month_day ymd(cut);
    const std::string cutoff =
        privacy::FormatDate({static_cast<int>(ymd.year()), static_cast<int>(unsigned(ymd.month())),
                             static_cast<int>(unsigned(ymd.day()))});
    ASSIGN_OR_RETURN(auto more,
                     gov.store().FaceIdsWhere("(s.retain_until IS NULL OR s.retain_until = '') AND "
                                              "substr(i.ingested_at, 1, 10) < ?",
                                              cutoff));
    out.insert(out.end(), more.begin(), more.end());
  }
  return out;
}

Result<nlohmann::json> RunRetention(Governance& gov, const std::string& today,
                                    const Justification& why) {
  ASSIGN_OR_RETURN(auto expired, ExpiredFaces(gov, today));
  if (expired.empty()) {
    RETURN_IF_ERROR(
        gov.Record("retention", why, "", 0, {{"today", today}, {"expired_faces", 0}}).status());
    return nlohmann::json{{"today", today}, {"expired_faces", 0}};
  }
  ErasureRequest req{EraseKind::kRetention, today, expired};
  ASSIGN_OR_RETURN(ErasurePlan plan, PlanErasure(gov, req));
  ASSIGN_OR_RETURN(ErasureReceipt receipt, ExecuteErasure(gov, plan, why));
  receipt.json["today"] = today;
  receipt.json["expired_faces"] = expired.size();
  return receipt.json;
}

}  // namespace likeness::governance
