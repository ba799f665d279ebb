#include "governance/erasure.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <set>

#include "common/hash.h"
#include "governance/video_tracks.h"
#include "openset/people_store.h"
#include "privacy/legal.h"
#include "privacy/utc_time.h"

namespace likeness::governance {

std::string_view EraseKindName(EraseKind kind) {
  switch (kind) {
    case EraseKind::kFace:
      return "face";
    case EraseKind::kImage:
      return "image";
    case EraseKind::kSource:
      return "source";
    case EraseKind::kBatch:
      return "batch";
    case EraseKind::kJurisdiction:
      return "jurisdiction";
    case EraseKind::kSubject:
      return "subject";
    case EraseKind::kRetention:
      return "retention";
    case EraseKind::kOptOut:
      return "optout";
    case EraseKind::kPerson:
      return "person";
  }
  return "?";
}

namespace {

Result<int64_t> ParseId(const std::string& text, std::string_view what) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v <= 0) {
    return Status::InvalidArgument(std::string(what) + " id must be a positive integer, not '" +
                                   text + "'");
  }
  return v;
}

std::vector<int64_t> Sorted(std::vector<int64_t> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

}  // namespace

Result<ErasurePlan> PlanErasure(Governance& gov, const ErasureRequest& request) {
  ErasurePlan plan;
  plan.request = request;
  GovStore& store = gov.store();
  catalog::Catalog& cat = gov.engine().catalog();
  const std::string what(EraseKindName(request.kind));
  switch (request.kind) {
    case EraseKind::kFace: {
      ASSIGN_OR_RETURN(int64_t id, ParseId(request.value, "face"));
      ASSIGN_OR_RETURN(auto face, cat.GetFace(id, false));
      // A face of a video takes its whole track with it (video_tracks.h).
      ASSIGN_OR_RETURN(plan.face_ids, WithWholeTracks(cat, {face.id}));
      break;
    }
    case EraseKind::kImage: {
      ASSIGN_OR_RETURN(int64_t id, ParseId(request.value, "image"));
      ASSIGN_OR_RETURN(auto image, cat.GetImage(id));
      ASSIGN_OR_RETURN(plan.face_ids, store.FaceIdsWhere("i.id = ?", std::to_string(image.id)));
      plan.image_ids = {image.id};
      break;
    }
    case EraseKind::kSource: {
      ASSIGN_OR_RETURN(auto source, cat.GetSourceByName(request.value));
      plan.source_id = source.id;
      const std::string id = std::to_string(source.id);
      ASSIGN_OR_RETURN(plan.face_ids, store.FaceIdsWhere("s.id = ?", id));
      ASSIGN_OR_RETURN(plan.image_ids, store.ImageIdsWhere("s.id = ?", id));
      break;
    }
    case EraseKind::kBatch: {
      ASSIGN_OR_RETURN(int64_t id, ParseId(request.value, "batch"));
      ASSIGN_OR_RETURN(auto batch, cat.GetBatch(id));
      const std::string sid = std::to_string(batch.id);
      ASSIGN_OR_RETURN(plan.face_ids, store.FaceIdsWhere("i.batch_id = ?", sid));
      ASSIGN_OR_RETURN(plan.image_ids, store.ImageIdsWhere("i.batch_id = ?", sid));
      break;
    }
    case EraseKind::kJurisdiction: {
      ASSIGN_OR_RETURN(std::string cc, privacy::NormalizeCountryCode(request.value));
      plan.request.value = cc;
      ASSIGN_OR_RETURN(plan.face_ids, store.FaceIdsWhere("s.jurisdiction = ?", cc));
      ASSIGN_OR_RETURN(plan.image_ids, store.ImageIdsWhere("s.jurisdiction = ?", cc));
      break;
    }
    case EraseKind::kSubject:
    case EraseKind::kRetention:
    case EraseKind::kOptOut:
    case EraseKind::kPerson: {
      plan.face_ids = Sorted(request.face_ids);
      if (request.kind == EraseKind::kPerson) {
        ASSIGN_OR_RETURN(int64_t person, ParseId(request.value, "person"));
        if (!std::filesystem::exists(gov.data_dir() / openset::kPeopleFileName))
          return Status::NotFound("no person " + request.value +
                                  " (no people yet: run `likeness people cluster`)");
        ASSIGN_OR_RETURN(auto people, openset::PeopleStore::Open(gov.data_dir()));
        ASSIGN_OR_RETURN(plan.face_ids, people->FacesOf(person));
      }
      ASSIGN_OR_RETURN(plan.face_ids, WithWholeTracks(cat, std::move(plan.face_ids)));
      // Images left with no face once these go are erased too (their rows and stored copies).
      ASSIGN_OR_RETURN(auto images, store.ImagesOfFaces(plan.face_ids));
      std::set<int64_t> erased(plan.face_ids.begin(), plan.face_ids.end());
      for (int64_t image : images) {
        ASSIGN_OR_RETURN(auto faces, cat.GetFacesOfImage(image, false));
        const bool all = std::all_of(faces.begin(), faces.end(),
                                     [&](const auto& f) { return erased.count(f.id) > 0; });
        if (all) plan.image_ids.push_back(image);
      }
      break;
    }
  }
  plan.face_ids = Sorted(std::move(plan.face_ids));
  plan.image_ids = Sorted(std::move(plan.image_ids));
  if (plan.face_ids.empty() && plan.image_ids.empty() && request.kind != EraseKind::kSource) {
    return Status::NotFound("the erasure by " + what + " '" + request.value +
                            "' matches nothing held; nothing was changed");
  }
  return plan;
}

Result<nlohmann::json> PreviewJson(Governance& gov, const ErasurePlan& plan) {
  ASSIGN_OR_RETURN(auto rows, gov.engine().catalog().GetFacesWithProvenance(plan.face_ids));
  nlohmann::json faces = nlohmann::json::array();
  for (const auto& r : rows) {
    faces.push_back({{"face_id", r.face.id},
                     {"image_id", r.image.id},
                     {"image_path", r.image.path},
                     {"source", r.source.name},
                     {"jurisdiction", r.source.jurisdiction}});
  }
  return nlohmann::json{{"by", EraseKindName(plan.request.kind)},
                        {"value", plan.request.value},
                        {"faces", faces},
                        {"face_count", plan.face_ids.size()},
                        {"image_count", plan.image_ids.size()}};
}

Result<ErasureReceipt> ExecuteErasure(Governance& gov, const ErasurePlan& plan,
                                      const Justification& why) {
  engine::Engine& eng = gov.engine();
  // 1. Catalog faces (bumps the generation, so a stale index is never trusted).
  ASSIGN_OR_RETURN(auto deleted, eng.catalog().DeleteFaces(plan.face_ids));
  // 2. Images rows (their remaining faces cascade) and hit counters.
  ASSIGN_OR_RETURN(int64_t images, gov.store().DeleteImagesAndHits(plan.image_ids, plan.face_ids));
  // 3. Index vectors: physical removal, then the index file is rewritten.
  const int64_t before = eng.index().size();
  RETURN_IF_ERROR(eng.UnindexFaces(plan.face_ids));
  const int64_t vectors = before - eng.index().size();
  RETURN_IF_ERROR(eng.SaveIndex());
  // 4. Crypto-shredding of a whole source's data key.
  bool key_destroyed = false;
  if (plan.request.kind == EraseKind::kSource && plan.source_id > 0) {
    RETURN_IF_ERROR(gov.keys().DestroyDataKey("source:" + std::to_string(plan.source_id)));
    key_destroyed = true;
  }
  // 5. No page of catalog.db, its WAL or free list keeps the bytes.
  RETURN_IF_ERROR(gov.store().Scrub());
  // 6. The people clustering forgets the faces (and a person left with none, name included).
  int64_t people_faces = 0;
  if (std::filesystem::exists(gov.data_dir() / openset::kPeopleFileName)) {
    ASSIGN_OR_RETURN(auto people, openset::PeopleStore::Open(gov.data_dir()));
    ASSIGN_OR_RETURN(people_faces, people->Forget(plan.face_ids));
  }

  std::string ids;
  for (int64_t id : plan.face_ids) ids += "face:" + std::to_string(id) + "\n";
  for (int64_t id : plan.image_ids) ids += "image:" + std::to_string(id) + "\n";
  ErasureReceipt receipt;
  receipt.json = {
      {"receipt", "likeness-erasure-v1"},
      {"asked", {{"by", EraseKindName(plan.request.kind)}, {"value", plan.request.value}}},
      {"faces_removed", deleted.size()},
      {"images_removed", images},
      {"vectors_removed", vectors},
      {"person_assignments_removed", people_faces},
      {"data_key_destroyed", key_destroyed},
      {"removed_ids_sha256", Sha256Hex({reinterpret_cast<const uint8_t*>(ids.data()), ids.size()})},
      {"at", privacy::FormatUtc(std::chrono::system_clock::now())},
      {"operator", why.operator_id},
      {"case", why.case_ref}};
  ASSIGN_OR_RETURN(
      int64_t seq,
      gov.Record("erase", why, plan.request.kind == EraseKind::kSubject ? plan.request.value : "",
                 static_cast<int64_t>(deleted.size()), receipt.json));
  receipt.json["audit_seq"] = seq;
  return receipt;
}

}  // namespace likeness::governance
