#include "governance/report.h"

#include <map>

#include "governance/policy_ops.h"
#include "governance/retention.h"

namespace likeness::governance {

Result<nlohmann::json> ProcessingRecord(Governance& gov) {
  catalog::Catalog& cat = gov.engine().catalog();
  ASSIGN_OR_RETURN(auto sources, cat.ListSources());
  nlohmann::json list = nlohmann::json::array();
  for (const auto& s : sources) {
    const std::string id = std::to_string(s.id);
    ASSIGN_OR_RETURN(auto images, gov.store().ImageIdsWhere("s.id = ?", id));
    ASSIGN_OR_RETURN(auto faces, gov.store().FaceIdsWhere("s.id = ?", id));
    list.push_back({{"name", s.name},
                    {"kind", catalog::SourceKindName(s.kind)},
                    {"location", s.location},
                    {"collector", s.collector},
                    {"legal_basis", s.legal_basis},
                    {"art9_condition", s.art9_condition},
                    {"jurisdiction", s.jurisdiction},
                    {"retain_until",
                     s.retain_until.empty() ? nlohmann::json() : nlohmann::json(s.retain_until)},
                    {"declared_at", s.created_at},
                    {"images", images.size()},
                    {"faces", faces.size()}});
  }
  std::map<std::string, std::map<std::string, int64_t>> per_purpose;  // action -> purpose -> n
  ASSIGN_OR_RETURN(auto entries, gov.audit().Query({.limit = 1'000'000'000}));
  for (const auto& e : entries) {
    if (e.action == "search" || e.action == "verify" || e.action == "access") {
      ++per_purpose[e.action][e.purpose];
    }
  }
  ASSIGN_OR_RETURN(nlohmann::json policy, PolicyJson(gov));
  ASSIGN_OR_RETURN(catalog::CatalogStats stats, cat.Stats());
  return nlohmann::json{
      {"record", "GDPR Art. 30 record of processing activities"},
      {"generated_on", TodayUtc()},
      {"controller_data_folder", gov.data_dir().string()},
      {"categories_of_data",
       {"facial biometric templates (Art. 9 special category)",
        "image provenance (path, content hash, ingest time)"}},
      {"sources", list},
      {"totals", {{"sources", stats.sources}, {"images", stats.images}, {"faces", stats.faces}}},
      {"policy", policy},
      {"operations_per_purpose", per_purpose},
      {"audit_public_key", gov.audit().public_key_hex()}};
}

}  // namespace likeness::governance
