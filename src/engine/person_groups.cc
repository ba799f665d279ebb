#include "engine/person_groups.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include "openset/people_store.h"

namespace likeness::engine {

Result<Embedding> PersonTemplate(Engine& engine, std::span<const int64_t> faces) {
  Embedding sum(kEmbeddingDim, 0.0f);
  int used = 0;
  for (int64_t id : faces) {
    ASSIGN_OR_RETURN(catalog::FaceRecord f, engine.catalog().GetFace(id, true));
    if (!f.searchable || f.embedding.size() != sum.size()) continue;
    const float w = std::max(kMinTemplateQualityWeight, f.quality.overall);
    for (size_t d = 0; d < sum.size(); ++d) sum[d] += w * f.embedding[d];
    ++used;
  }
  double norm = 0;
  for (float x : sum) norm += static_cast<double>(x) * x;
  if (used == 0 || norm <= 0) return Status::NotFound("no searchable face to build a template");
  const float inv = static_cast<float>(1.0 / std::sqrt(norm));
  for (auto& x : sum) x *= inv;
  return sum;
}

Result<std::vector<PersonGroup>> GroupByPerson(Engine& engine, std::span<const float> probe,
                                               const std::vector<Match>& matches) {
  std::vector<PersonGroup> groups;
  const auto& dir = engine.options().data_dir;
  std::unique_ptr<openset::PeopleStore> store;
  std::map<int64_t, openset::FaceAssignment> assigned;
  if (std::filesystem::exists(dir / openset::kPeopleFileName)) {
    ASSIGN_OR_RETURN(store, openset::PeopleStore::Open(dir));
    ASSIGN_OR_RETURN(assigned, store->Assignments());
  }
  std::map<int64_t, size_t> group_of;  // person -> index in groups
  for (const auto& m : matches) {
    auto it = assigned.find(m.face.face.id);
    const int64_t person = it == assigned.end() ? 0 : it->second.person;
    if (person != 0 && group_of.contains(person)) {
      groups[group_of[person]].matches.push_back(m);
      continue;
    }
    PersonGroup g;
    g.person = person;
    g.best_score = m.score;
    g.is_match = m.is_match;
    g.matches.push_back(m);
    if (person != 0) {
      group_of[person] = groups.size();
      ASSIGN_OR_RETURN(openset::Person p, store->Get(person));
      g.name = p.name;
      g.person_faces = p.faces;
      ASSIGN_OR_RETURN(std::vector<int64_t> faces, store->FacesOf(person));
      if (auto t = PersonTemplate(engine, faces); t.ok()) g.template_cosine = Cosine(probe, *t);
    } else {
      g.person_faces = 1;
    }
    groups.push_back(std::move(g));
  }
  // Matches arrive best first, so each group's first match is its best and groups are in order.
  return groups;
}

}  // namespace likeness::engine
