#include "openset/people_clustering.h"

#include <map>
#include <set>

namespace likeness::openset {

Result<std::vector<GalleryFace>> LoadGallery(catalog::Catalog& catalog) {
  std::vector<GalleryFace> faces;
  RETURN_IF_ERROR(
      catalog.ForEachEmbedding([&](int64_t id, bool searchable, std::span<const float> embedding) {
        if (searchable) faces.push_back({id, 0, 0, {embedding.begin(), embedding.end()}});
        return true;
      }));
  std::vector<int64_t> ids;
  for (const auto& f : faces) ids.push_back(f.id);
  ASSIGN_OR_RETURN(auto prov, catalog.GetFacesWithProvenance(ids));
  if (prov.size() != faces.size())
    return Status::FailedPrecondition("the catalog changed while it was read; run again");
  for (size_t i = 0; i < faces.size(); ++i) faces[i].image_id = prov[i].face.image_id;
  return faces;
}

Result<PeopleClusterSummary> ClusterPeople(const std::vector<GalleryFace>& gallery,
                                           PeopleStore& store, const ClusterOptions& options,
                                           const ClusterProgress& progress) {
  const auto report = [&](std::string_view phase, int64_t done, int64_t total) {
    if (progress) progress(phase, done, total);
  };
  PeopleClusterSummary s;
  s.faces = static_cast<int64_t>(gallery.size());
  std::set<int64_t> existing;
  for (const auto& f : gallery) existing.insert(f.id);
  ASSIGN_OR_RETURN(s.forgotten, store.Prune(existing));
  ASSIGN_OR_RETURN(auto assigned, store.Assignments());
  std::vector<ClusterFace> faces;
  std::map<int64_t, int64_t> image_of;
  for (const auto& f : gallery) {
    auto it = assigned.find(f.id);
    faces.push_back(
        {f.id, f.image_id, f.embedding.data(), it == assigned.end() ? 0 : it->second.person});
    image_of[f.id] = f.image_id;
  }
  report("clustering", 0, s.faces);
  const int dim = gallery.empty() ? 1 : static_cast<int>(gallery.front().embedding.size());
  const ClusterResult r = ClusterFaces(faces, dim, options);
  report("clustering", s.faces, s.faces);
  const int64_t to_store = static_cast<int64_t>(r.attached.size() + r.new_people.size());
  int64_t stored = 0;
  report("storing", 0, to_store);
  for (const auto& [face, person] : r.attached) {
    RETURN_IF_ERROR(store.Assign(face, image_of[face], person));
    report("storing", ++stored, to_store);
  }
  for (const auto& members : r.new_people) {
    std::map<int64_t, int64_t> m;
    for (int64_t face : members) m[face] = image_of[face];
    RETURN_IF_ERROR(store.CreatePerson(m).status());
    s.new_faces += static_cast<int64_t>(members.size());
    report("storing", ++stored, to_store);
  }
  s.attached = static_cast<int64_t>(r.attached.size());
  s.new_people = static_cast<int64_t>(r.new_people.size());
  s.noise = r.noise;
  ASSIGN_OR_RETURN(auto people, store.List());
  s.people = static_cast<int64_t>(people.size());
  return s;
}

}  // namespace likeness::openset
