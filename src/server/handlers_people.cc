// The people routes: faces grouped into people (src/openset/people_store.h, <data>/people.db),
// listed for investigators and privacy officers (reads state a purpose, basis and case in the query
// string and are audited as action "people_read"; crops carry media tokens), renamed, merged and
// split by privacy officers and admins. Every edit is recorded in the audit chain (action "people")
// under the key's name. Erasure by person is an ordinary erasure (POST /api/v1/erasures with
// by=person).
#include <httplib.h>

#include <filesystem>

#include "openset/people_store.h"
#include "server/form.h"
#include "server/handlers.h"
#include "server/purpose_bound.h"
#include "server/tenant_scope.h"

namespace likeness::server {
namespace {

constexpr size_t kMaxNameBytes = 200;

std::string CropUrl(int64_t face_id) {
  return "/api/v1/faces/" + std::to_string(face_id) + "/crop";
}

// The store, or NotFound when nothing was ever clustered (GET /people then lists nobody).
Result<std::unique_ptr<openset::PeopleStore>> OpenPeople(Services& s, bool create) {
  const auto& dir = s.engine.options().data_dir;
  if (!create && !std::filesystem::exists(dir / openset::kPeopleFileName))
    return Status::NotFound("no people yet (run `likeness people cluster`)");
  return openset::PeopleStore::Open(dir);
}

nlohmann::json PersonJson(const openset::Person& p, const std::vector<int64_t>& faces) {
  nlohmann::json j = {{"id", p.id},
                      {"name", p.name},
                      {"faces", p.faces},
                      {"images", p.images},
                      {"face_ids", faces}};
  j["cover_crop_url"] = faces.empty() ? nlohmann::json() : nlohmann::json(CropUrl(faces.front()));
  return j;
}

Result<int64_t> PositiveId(const nlohmann::json& body, const char* key) {
  const auto it = body.find(key);
  if (it == body.end() || !it->is_number_integer() || it->get<int64_t>() <= 0)
    return Status::InvalidArgument(std::string("'") + key + "' must be a positive integer");
  return it->get<int64_t>();
}

Result<Reply> Recorded(Services& s, const Call& call, const nlohmann::json& details,
                       nlohmann::json reply) {
  governance::Justification why{call.caller->name, "people curation", "", ""};
  ASSIGN_OR_RETURN(int64_t seq, s.gov.Record("people", why, "", 0, details));
  reply["audit_seq"] = seq;
  return Reply::Json(reply);
}

// A read of people (names, faces): audited (action "people_read") under the caller's stated
// purpose, basis and case before anything is returned; the reply's crops and photos carry media
// tokens bound to that record.
Result<Reply> ReadRecorded(Services& s, const Call& call, const governance::Justification& why,
                           const nlohmann::json& details, nlohmann::json reply) {
  ASSIGN_OR_RETURN(int64_t seq, s.gov.Record("people_read", why, "", 0, details));
  reply["audit_seq"] = seq;
  GrantMedia(s, call, seq, why, reply);
  return Reply::Json(reply);
}

}  // namespace

Result<Reply> HandleListPeople(Services& s, const Call& call) {
  RETURN_IF_ERROR(RequireOperatorTenant(call, "people"));
  ASSIGN_OR_RETURN(governance::Justification why, QueryJustification(call));
  nlohmann::json list = nlohmann::json::array();
  auto store = OpenPeople(s, false);
  if (!store.ok() && store.status().code() != StatusCode::kNotFound) return store.status();
  if (store.ok()) {
    ASSIGN_OR_RETURN(auto people, (*store)->List());
    for (const auto& p : people) {
      ASSIGN_OR_RETURN(auto faces, (*store)->FacesOf(p.id));
      list.push_back(PersonJson(p, faces));
    }
  }
  return ReadRecorded(s, call, why, {{"read", "people"}, {"people", list.size()}},
                      {{"people", list}});
}

Result<Reply> HandleGetPerson(Services& s, const Call& call) {
  RETURN_IF_ERROR(RequireOperatorTenant(call, "people"));
  ASSIGN_OR_RETURN(governance::Justification why, QueryJustification(call));
  ASSIGN_OR_RETURN(auto store, OpenPeople(s, false));
  ASSIGN_OR_RETURN(auto p, store->Get(call.Id(0)));
  ASSIGN_OR_RETURN(auto ids, store->FacesOf(p.id));
  nlohmann::json j = PersonJson(p, ids);
  ASSIGN_OR_RETURN(auto rows, s.engine.catalog().GetFacesWithProvenance(ids));
  nlohmann::json faces = nlohmann::json::array();
  for (const auto& r : rows)
    faces.push_back({{"face_id", r.face.id},
                     {"image_id", r.image.id},
                     {"source", r.source.name},
                     {"quality", r.face.quality.overall},
                     {"crop_url", CropUrl(r.face.id)},
                     {"image_url", "/api/v1/images/" + std::to_string(r.image.id)}});
  j["face_list"] = std::move(faces);
  return ReadRecorded(
      s, call, why,
      {{"read", "person"}, {"person", p.id}, {"faces", ids.size()}, {"named", !p.name.empty()}},
      std::move(j));
}

Result<Reply> HandleNamePerson(Services& s, const Call& call) {
  RETURN_IF_ERROR(RequireOperatorTenant(call, "people"));
  ASSIGN_OR_RETURN(nlohmann::json body, JsonObjectBody(call.http, s.options.max_json_bytes));
  ASSIGN_OR_RETURN(std::string name, JsonText(body, "name", false, kMaxNameBytes));
  const int64_t person = call.Id(0);
  std::unique_lock lock(s.store_mu);
  ASSIGN_OR_RETURN(auto store, OpenPeople(s, false));
  RETURN_IF_ERROR(store->Name(person, name));
  // The audit keeps that a name was set, not the name (it is personal data; the chain is forever).
  return Recorded(s, call, {{"change", "name"}, {"person", person}, {"named", !name.empty()}},
                  {{"id", person}, {"name", name}});
}

Result<Reply> HandleMergePeople(Services& s, const Call& call) {
  RETURN_IF_ERROR(RequireOperatorTenant(call, "people"));
  ASSIGN_OR_RETURN(nlohmann::json body, JsonObjectBody(call.http, s.options.max_json_bytes));
  ASSIGN_OR_RETURN(int64_t from, PositiveId(body, "from"));
  const int64_t into = call.Id(0);
  std::unique_lock lock(s.store_mu);
  ASSIGN_OR_RETURN(auto store, OpenPeople(s, false));
  RETURN_IF_ERROR(store->Merge(into, from));
  ASSIGN_OR_RETURN(auto p, store->Get(into));
  ASSIGN_OR_RETURN(auto faces, store->FacesOf(into));
  return Recorded(s, call, {{"change", "merge"}, {"into", into}, {"from", from}},
                  PersonJson(p, faces));
}

Result<Reply> HandleSplitPerson(Services& s, const Call& call) {
  RETURN_IF_ERROR(RequireOperatorTenant(call, "people"));
  ASSIGN_OR_RETURN(nlohmann::json body, JsonObjectBody(call.http, s.options.max_json_bytes));
  ASSIGN_OR_RETURN(int64_t face, PositiveId(body, "face_id"));
  const int64_t person = call.Id(0);
  std::unique_lock lock(s.store_mu);
  ASSIGN_OR_RETURN(auto store, OpenPeople(s, false));
  ASSIGN_OR_RETURN(int64_t fresh, store->Split(person, face));
  return Recorded(
      s, call, {{"change", "split"}, {"person", person}, {"face_id", face}, {"new_person", fresh}},
      {{"person", person}, {"face_id", face}, {"new_person", fresh}});
}

}  // namespace likeness::server
