#include "governance/video_tracks.h"

#include <map>
#include <set>

namespace likeness::governance {

Result<std::vector<int64_t>> WithWholeTracks(catalog::Catalog& catalog,
                                             std::vector<int64_t> face_ids) {
  std::set<int64_t> out(face_ids.begin(), face_ids.end());
  std::map<int64_t, std::set<int64_t>> tracks_of_image;  // video image id -> its tracks reached
  for (int64_t id : face_ids) {
    auto face = catalog.GetFace(id, false);
    if (!face.ok()) {
      if (face.status().code() == StatusCode::kNotFound) continue;
      return face.status();
    }
    if (face->video) tracks_of_image[face->image_id].insert(face->video->track_id);
  }
  for (const auto& [image, tracks] : tracks_of_image) {
    ASSIGN_OR_RETURN(auto faces, catalog.GetFacesOfImage(image, false));
    for (const auto& f : faces) {
      if (f.video && tracks.contains(f.video->track_id)) out.insert(f.id);
    }
  }
  return std::vector<int64_t>(out.begin(), out.end());
}

}  // namespace likeness::governance
