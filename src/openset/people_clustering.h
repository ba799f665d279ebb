// One clustering run over the catalog's searchable faces into the people store (<data>/people.db):
// forgets faces no longer held, keeps every face already assigned (merges, splits and names made
// by people survive), attaches or groups the rest (clustering.h). Shared by `likeness people
// cluster` and the server's POST /api/v1/people/cluster.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "openset/calibration.h"
#include "openset/clustering.h"
#include "openset/people_store.h"

namespace likeness::openset {

struct PeopleClusterSummary {
  int64_t faces = 0;       // searchable faces considered
  int64_t forgotten = 0;   // assignments of faces no longer held, dropped
  int64_t attached = 0;    // unassigned faces that joined an existing person
  int64_t new_people = 0;  // people created
  int64_t new_faces = 0;   // faces in the new people
  int64_t noise = 0;       // faces left unassigned
  int64_t people = 0;      // people in the store afterwards
};

// Called between steps: phase is "reading faces", "clustering" or "storing"; done of total units
// (faces read, faces clustered, people and faces stored).
using ClusterProgress = std::function<void(std::string_view phase, int64_t done, int64_t total)>;

// Every searchable face's embedding and image id (FailedPrecondition when the catalog changes
// while it is read).
Result<std::vector<GalleryFace>> LoadGallery(catalog::Catalog& catalog);

Result<PeopleClusterSummary> ClusterPeople(const std::vector<GalleryFace>& gallery,
                                           PeopleStore& store, const ClusterOptions& options,
                                           const ClusterProgress& progress = {});

}  // namespace likeness::openset
