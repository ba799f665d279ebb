#include "governance/access.h"

#include <algorithm>

#include "governance/policy_ops.h"

namespace likeness::governance {

Result<nlohmann::json> SubjectAccess(Governance& gov, std::span<const float> embedding,
                                     const std::string& probe_hash, const Justification& why,
                                     const std::vector<int64_t>* sources) {
  ASSIGN_OR_RETURN(auto matches,
                   HeldFacesMatching(gov.engine(), embedding, engine::kDefaultMatchThreshold));
  std::vector<int64_t> ids;
  for (const auto& m : matches) ids.push_back(m.first);
  ASSIGN_OR_RETURN(auto rows, gov.engine().catalog().GetFacesWithProvenance(ids));
  if (sources) {
    std::erase_if(rows, [&](const catalog::FaceWithProvenance& r) {
      return !std::binary_search(sources->begin(), sources->end(), r.source.id);
    });
    std::erase_if(matches, [&](const std::pair<int64_t, float>& m) {
      return std::none_of(rows.begin(), rows.end(),
                          [&](const auto& r) { return r.face.id == m.first; });
    });
    ids.clear();
    for (const auto& m : matches) ids.push_back(m.first);
  }
  ASSIGN_OR_RETURN(auto default_days, DefaultRetentionDays(gov));
  nlohmann::json found = nlohmann::json::array();
  for (size_t k = 0; k < rows.size(); ++k) {
    const auto& r = rows[k];
    ASSIGN_OR_RETURN(int64_t hits, gov.store().Hits(r.face.id));
    std::string retention = r.source.retain_until;
    if (retention.empty() && default_days) {
      retention = "ingest date + " + std::to_string(*default_days) + " days";
    }
    found.push_back(
        {{"face_id", r.face.id},
         {"score", matches[k].second},
         {"image_id", r.image.id},
         {"image_path", r.image.path},
         {"image_sha256", r.image.content_hash},
         {"ingested_at", r.image.ingested_at},
         {"source", r.source.name},
         {"source_location", r.source.location},
         {"collector", r.source.collector},
         {"legal_basis", r.source.legal_basis},
         {"art9_condition", r.source.art9_condition},
         {"jurisdiction", r.source.jurisdiction},
         {"retain_until", retention.empty() ? nlohmann::json() : nlohmann::json(retention)},
         {"search_hits", hits}});
    if (r.face.video) {  // held in a video: the moment and the track's span (issue 15)
      found.back()["media"] = "video";
      found.back()["time_offset_s"] = r.face.video->time_offset_s;
      found.back()["track_id"] = r.face.video->track_id;
      found.back()["track_first_s"] = r.face.video->track_first_s;
      found.back()["track_last_s"] = r.face.video->track_last_s;
    }
  }
  nlohmann::json report = {
      {"held", !found.empty()},
      {"faces", found},
      {"threshold", engine::kDefaultMatchThreshold},
      {"options", {"likeness erase --subject PHOTO", "likeness optout add PHOTO --request REF"}}};
  ASSIGN_OR_RETURN(int64_t seq,
                   gov.Record("access", why, probe_hash, static_cast<int64_t>(found.size()),
                              {{"face_ids", ids}}));
  report["audit_seq"] = seq;
  return report;
}

Result<Embedding> HeldFaceEmbedding(Governance& gov, const std::string& path,
                                    const std::string& sha256) {
  std::vector<int64_t> images;
  if (!sha256.empty()) {
    ASSIGN_OR_RETURN(auto id, gov.engine().catalog().FindImageByHash(sha256));
    if (id) images.push_back(*id);
  } else {
    ASSIGN_OR_RETURN(images, gov.store().ImageIdsWhere("i.path = ?", path));
  }
  if (images.empty()) {
    return Status::NotFound("no held image " +
                            (sha256.empty() ? "at " + path : "with sha256 " + sha256));
  }
  ASSIGN_OR_RETURN(auto faces, gov.engine().catalog().GetFacesOfImage(images.front(), true));
  if (faces.empty()) return Status::NotFound("the held image has no face");
  const catalog::FaceRecord* best = &faces[0];
  for (const auto& f : faces) {
    if (f.box.width() * f.box.height() > best->box.width() * best->box.height()) best = &f;
  }
  return best->embedding;
}

}  // namespace likeness::governance
