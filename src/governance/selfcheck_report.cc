#include "governance/selfcheck_report.h"

#include <algorithm>
#include <map>

#include "governance/policy_ops.h"
#include "privacy/legal.h"

namespace likeness::governance {
namespace {

std::string NameOf(std::span<const privacy::LegalBasisInfo> table, const std::string& code) {
  for (const auto& b : table) {
    if (b.code == code) return std::string(b.name);
  }
  return "";
}

void KeepSources(std::vector<catalog::FaceWithProvenance>& rows,
                 const std::vector<int64_t>* sources) {
  if (!sources) return;
  std::erase_if(rows, [&](const catalog::FaceWithProvenance& r) {
    return !std::binary_search(sources->begin(), sources->end(), r.source.id);
  });
}

}  // namespace

Result<std::vector<catalog::FaceWithProvenance>> SelfCheckMatches(
    Governance& gov, std::span<const float> embedding, const std::vector<int64_t>* sources) {
  ASSIGN_OR_RETURN(auto matches,
                   HeldFacesMatching(gov.engine(), embedding, engine::kDefaultMatchThreshold));
  std::vector<int64_t> ids;
  for (const auto& m : matches) ids.push_back(m.first);
  return HeldFacesById(gov, ids, sources);
}

Result<std::vector<catalog::FaceWithProvenance>> HeldFacesById(
    Governance& gov, std::span<const int64_t> face_ids, const std::vector<int64_t>* sources) {
  ASSIGN_OR_RETURN(auto rows, gov.engine().catalog().GetFacesWithProvenance(face_ids));
  KeepSources(rows, sources);
  return rows;
}

std::vector<std::string> LegalBasisCategories(const catalog::SourceRecord& source) {
  std::vector<std::string> out;
  const std::string art6 = NameOf(privacy::Art6LegalBases(), source.legal_basis);
  out.push_back(art6.empty() ? source.legal_basis : art6);
  if (!source.art9_condition.empty()) {
    const std::string art9 = NameOf(privacy::Art9Conditions(), source.art9_condition);
    out.push_back(art9.empty() ? source.art9_condition : art9);
  }
  return out;
}

nlohmann::json PublicSourceAnswer(const std::vector<catalog::FaceWithProvenance>& rows) {
  // Keyed by what is shown, so two sources with the same published facts are one line and the
  // answer says nothing about how the organisation splits its collections internally.
  std::map<std::pair<std::string, std::vector<std::string>>, bool> seen;
  for (const auto& r : rows) {
    const std::string description =
        r.source.public_description.empty() ? kUndescribedSource : r.source.public_description;
    seen[{description, LegalBasisCategories(r.source)}] = true;
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [k, unused] : seen) {
    out.push_back({{"description", k.first}, {"legal_basis", k.second}});
  }
  return out;
}

Result<nlohmann::json> FullSelfCheckReport(Governance& gov,
                                           const std::vector<catalog::FaceWithProvenance>& rows) {
  ASSIGN_OR_RETURN(auto default_days, DefaultRetentionDays(gov));
  std::map<int64_t, nlohmann::json> by_source;
  for (const auto& r : rows) {
    auto& s = by_source[r.source.id];
    if (s.is_null()) {
      std::string retention = r.source.retain_until;
      if (retention.empty() && default_days) {
        retention = "kept " + std::to_string(*default_days) + " days after it was added";
      }
      s = {{"source", r.source.name},
           {"description",
            r.source.public_description.empty() ? kUndescribedSource : r.source.public_description},
           {"collector", r.source.collector},
           {"legal_basis", r.source.legal_basis},
           {"art9_condition", r.source.art9_condition},
           {"legal_basis_categories", LegalBasisCategories(r.source)},
           {"jurisdiction", r.source.jurisdiction},
           {"retain_until", retention.empty() ? nlohmann::json() : nlohmann::json(retention)},
           {"photos", nlohmann::json::array()}};
    }
    ASSIGN_OR_RETURN(int64_t hits, gov.store().Hits(r.face.id));
    s["photos"].push_back(
        {{"face_id", r.face.id}, {"added", r.image.ingested_at}, {"search_hits", hits}});
  }
  nlohmann::json sources = nlohmann::json::array();
  for (auto& [id, s] : by_source) sources.push_back(std::move(s));
  return nlohmann::json{{"held", !rows.empty()}, {"sources", sources}};
}

}  // namespace likeness::governance
