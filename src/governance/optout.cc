#include "governance/optout.h"

#include <chrono>

#include "privacy/envelope.h"
#include "privacy/utc_time.h"

namespace likeness::governance {

Result<nlohmann::json> AddOptOut(Governance& gov, std::span<const uint8_t> probe,
                                 const std::string& request_ref, bool largest,
                                 const Justification& why) {
  if (request_ref.empty()) return Status::InvalidArgument("an opt-out needs --request REF");
  ASSIGN_OR_RETURN(engine::SearchResponse r, SingleFaceProbe(gov.engine(), probe, largest));
  return AddOptOutTemplate(gov, r.faces[0].embedding, r.probe_sha256, request_ref, why);
}

Result<nlohmann::json> AddOptOutTemplate(Governance& gov, std::span<const float> e,
                                         const std::string& probe_sha256,
                                         const std::string& request_ref, const Justification& why) {
  if (request_ref.empty()) return Status::InvalidArgument("an opt-out needs --request REF");
  if (e.size() != kEmbeddingDim)
    return Status::InvalidArgument("an opt-out template has the wrong size");
  const std::string ad = "optout:" + request_ref;
  ASSIGN_OR_RETURN(auto sealed,
                   privacy::EnvelopeEncrypt(
                       gov.keys(), "optout",
                       {reinterpret_cast<const uint8_t*>(e.data()), e.size() * sizeof(float)},
                       {reinterpret_cast<const uint8_t*>(ad.data()), ad.size()}));
  ASSIGN_OR_RETURN(auto matches, HeldFacesMatching(gov.engine(), e, kOptOutThreshold));
  RETURN_IF_ERROR(gov.store().AddOptOut(
      {request_ref, privacy::FormatUtc(std::chrono::system_clock::now()), sealed}));
  nlohmann::json out = {{"request", request_ref}, {"matched_faces", matches.size()}};
  if (!matches.empty()) {
    ErasureRequest req{EraseKind::kOptOut, request_ref, {}};
    for (const auto& m : matches) req.face_ids.push_back(m.first);
    ASSIGN_OR_RETURN(ErasurePlan plan, PlanErasure(gov, req));
    ASSIGN_OR_RETURN(ErasureReceipt receipt, ExecuteErasure(gov, plan, why));
    out["receipt"] = receipt.json;
  }
  ASSIGN_OR_RETURN(int64_t seq,
                   gov.Record("optout", why, probe_sha256, static_cast<int64_t>(matches.size()),
                              {{"request", request_ref}, {"change", "add"}}));
  out["audit_seq"] = seq;
  return out;
}

Result<nlohmann::json> ListOptOuts(Governance& gov) {
  ASSIGN_OR_RETURN(auto rows, gov.store().OptOuts());
  nlohmann::json list = nlohmann::json::array();
  for (const auto& r : rows)
    list.push_back({{"request", r.request_ref}, {"created_at", r.created_at}});
  return nlohmann::json{{"optouts", list}};
}

Status WithdrawOptOut(Governance& gov, const std::string& request_ref, const Justification& why) {
  RETURN_IF_ERROR(gov.store().RemoveOptOut(request_ref));
  RETURN_IF_ERROR(gov.store().Scrub());  // the sealed template leaves no page behind
  return gov.Record("optout", why, "", 0, {{"request", request_ref}, {"change", "withdraw"}})
      .status();
}

}  // namespace likeness::governance
