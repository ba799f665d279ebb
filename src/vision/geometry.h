// Pure geometry used by detection and alignment: IoU, NMS, tiling plans, similarity transforms.
// No models here, so everything is unit-testable without files.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <vector>

#include "likeness/types.h"

namespace likeness::vision {

struct ScoredBox {
  BoxF box;
  float score = 0;
  int level = 0;  // pyramid level that found it: 0 = whole frame, higher = smaller tiles
};

float IoU(const BoxF& a, const BoxF& b);

// Greedy non-maximum suppression: coarsest level first (the whole-frame box of a face is the one
// the landmark model was trained on), then highest score; drops a box whose IoU with a kept box
// exceeds iou_threshold, or that lies mostly (>= contain_threshold of its area) inside a kept,
// higher-scoring box (tiles cut faces, and a cut face inside a whole one must go). Returns kept
// boxes, best first.
std::vector<ScoredBox> NonMaxSuppression(std::vector<ScoredBox> boxes, float iou_threshold,
                                         float contain_threshold = 0.35f);

struct Tile {
  int x = 0, y = 0, width = 0, height = 0;
};

// Plans detector windows over a width x height image: the whole frame first, then overlapping tiles
// of decreasing size (each level halves the tile) so that a face of min_face_px still spans at
// least min_net_face_px pixels of the detector's net_width-wide input. Tiles keep the net's aspect
// ratio and overlap by `overlap` of their size, so a face smaller than overlap*tile lies wholly in
// some tile.
std::vector<Tile> PlanTiles(int width, int height, int net_width, int net_height, int min_face_px,
                            int min_net_face_px = 20, float overlap = 0.25f);

// A face the detector found in `tile` of a width x height image, clipped to the image; nullopt
// when it reaches within `edge_margin` px of a tile edge that lies inside the image: such a face is
// cut and belongs to a tile (or the whole frame) that holds it whole.
std::optional<BoxF> WholeInTile(const BoxF& box, const Tile& tile, int width, int height,
                                float edge_margin = 2.0f);

// Windows of the small-face level (issue 13), each the tile size at which a small_face_px face
// spans min_net_face_px detector pixels (small_face_px * net_width / min_net_face_px wide, the
// net's aspect). Each anchor face's neighbourhood is its box grown by `reach` times its larger side
// on every side, clipped to the image; overlapping neighbourhoods merge into one region, and each
// region is covered by the fewest windows overlapping by `overlap` of their size (so a face smaller
// than that overlap inside a region lies wholly in some window). Crowds put small faces beside
// larger ones, so the level looks only where faces were already found. At most max_tiles windows:
// those meeting the most neighbourhoods first (ties: region order); the result is sorted by
// (y, x). No anchors, or an image no larger than one window: none.
std::vector<Tile> PlanSmallFaceTiles(int width, int height, int net_width, int net_height,
                                     std::span<const BoxF> anchors, int small_face_px,
                                     int min_net_face_px, float reach, size_t max_tiles,
                                     float overlap = 0.25f);

// 2x3 similarity transform (rotation, uniform scale, translation) mapping src to dst by least
// squares (Umeyama 1991, without reflection). Row-major: [a -b tx; b a ty].
std::array<double, 6> EstimateSimilarity(std::span<const Point2> src, std::span<const Point2> dst);

}  // namespace likeness::vision
