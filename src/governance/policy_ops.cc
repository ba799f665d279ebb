#include "governance/policy_ops.h"

#include "privacy/legal.h"

namespace likeness::governance {

Result<nlohmann::json> BlockJurisdiction(Governance& gov, const std::string& input,
                                         const Justification& why) {
  ASSIGN_OR_RETURN(std::string cc, privacy::NormalizeCountryCode(input));
  ASSIGN_OR_RETURN(bool changed, gov.store().Block(cc));
  ASSIGN_OR_RETURN(auto held, gov.store().HeldIn(cc));
  nlohmann::json j = {{"jurisdiction", cc},
                      {"blocked", true},
                      {"changed", changed},
                      {"held_images", held.first},
                      {"held_faces", held.second}};
  RETURN_IF_ERROR(
      gov.Record("policy", why, "", 0, {{"change", "block-jurisdiction"}, {"report", j}}).status());
  return j;
}

Result<nlohmann::json> UnblockJurisdiction(Governance& gov, const std::string& input,
                                           const Justification& why) {
  ASSIGN_OR_RETURN(std::string cc, privacy::NormalizeCountryCode(input));
  ASSIGN_OR_RETURN(bool changed, gov.store().Unblock(cc));
  nlohmann::json j = {{"jurisdiction", cc}, {"blocked", false}, {"changed", changed}};
  RETURN_IF_ERROR(
      gov.Record("policy", why, "", 0, {{"change", "unblock-jurisdiction"}, {"report", j}})
          .status());
  return j;
}

Status SetDefaultRetention(Governance& gov, int days, const Justification& why) {
  if (days < 1 || days > 36500) {
    return Status::InvalidArgument("default retention must be 1..36500 days, not " +
                                   std::to_string(days));
  }
  RETURN_IF_ERROR(gov.store().SetSetting(kDefaultRetentionKey, std::to_string(days)));
  return gov.Record("policy", why, "", 0, {{"change", "set-default-retention"}, {"days", days}})
      .status();
}

Result<std::optional<int>> DefaultRetentionDays(Governance& gov) {
  ASSIGN_OR_RETURN(auto v, gov.store().GetSetting(kDefaultRetentionKey));
  if (!v) return std::optional<int>();
  return std::optional<int>(std::stoi(*v));
}

Result<nlohmann::json> PolicyJson(Governance& gov) {
  ASSIGN_OR_RETURN(auto blocked, gov.store().Blocked());
  nlohmann::json list = nlohmann::json::array();
  for (const auto& cc : blocked) {
    ASSIGN_OR_RETURN(auto held, gov.store().HeldIn(cc));
    list.push_back(
        {{"jurisdiction", cc}, {"held_images", held.first}, {"held_faces", held.second}});
  }
  ASSIGN_OR_RETURN(auto days, DefaultRetentionDays(gov));
  return nlohmann::json{
      {"blocked_jurisdictions", list},
      {"default_retention_days", days ? nlohmann::json(*days) : nlohmann::json()}};
}

}  // namespace likeness::governance
