// The small-face level of FaceAnalyzer::Detect (issue 13; AnalyzeOptions::small_faces): faces of
// kSmallFacePx up to min_face_px, looked for only in tiles around faces the pyramid already found.
#include <algorithm>

#include "vision/face_analyzer.h"

namespace likeness::vision {

Status FaceAnalyzer::AddSmallFaces(const cv::Mat& bgr, float threshold, int level,
                                   const AnalyzeOptions& options, std::vector<ScoredBox>& faces) {
  const DetectorSpec& spec = manifest().detector;
  // Anchors: faces small enough that 16..24-px faces beside them plausibly belong to the same
  // crowd. Beside a large face (a portrait), small faces are background people; the level is not
  // meant for them.
  std::vector<BoxF> anchors;
  for (const ScoredBox& f : faces) {
    if (std::max(f.box.width(), f.box.height()) <= static_cast<float>(kSmallFaceAnchorMaxPx)) {
      anchors.push_back(f.box);
    }
  }
  const std::vector<Tile> tiles =
      PlanSmallFaceTiles(bgr.cols, bgr.rows, spec.input_width, spec.input_height, anchors,
                         kSmallFacePx, kMinNetFacePx, kSmallFaceReach, kSmallFaceMaxTiles);
  if (tiles.empty()) return Status::Ok();
  // The level answers for faces from kSmallFacePx to a quarter above min_face_px: the pyramid's
  // finest level covers the rest, and where both see a face NMS keeps the pyramid's box.
  const float band_min = static_cast<float>(kSmallFacePx);
  const float band_max = 1.25f * static_cast<float>(options.min_face_px);
  std::vector<ScoredBox> all = faces;
  for (const Tile& tile : tiles) {
    ASSIGN_OR_RETURN(
        std::vector<ScoredBox> found,
        DetectInWindow(bgr, cv::Rect(tile.x, tile.y, tile.width, tile.height), threshold));
    times_.small_face_tiles += 1;
    for (const ScoredBox& f : found) {
      const std::optional<BoxF> b = WholeInTile(f.box, tile, bgr.cols, bgr.rows);
      if (!b) continue;
      const float side = std::min(b->width(), b->height());
      if (side < band_min || side > band_max) continue;
      all.push_back({*b, f.score, level});
    }
  }
  // The faces already found sort first (lower levels), so a candidate overlapping one goes; they
  // passed NMS among themselves, so they all stay.
  const std::vector<ScoredBox> kept = NonMaxSuppression(std::move(all), spec.nms_iou);
  for (const ScoredBox& k : kept) {
    if (k.level != level) continue;
    ASSIGN_OR_RETURN(const bool seen, SeenInContext(bgr, k.box, threshold));
    if (!seen) continue;
    faces.push_back(k);
    times_.small_faces += 1;
  }
  return Status::Ok();
}

}  // namespace likeness::vision
