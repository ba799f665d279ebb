#include "vision/geometry.h"

#include <algorithm>
#include <cmath>

namespace likeness::vision {

float IoU(const BoxF& a, const BoxF& b) {
  const float ix = std::max(0.0f, std::min(a.x2, b.x2) - std::max(a.x1, b.x1));
  const float iy = std::max(0.0f, std::min(a.y2, b.y2) - std::max(a.y1, b.y1));
  const float inter = ix * iy;
  const float uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.0f;
}

static float IntersectionOverSmaller(const BoxF& a, const BoxF& b) {
  const float ix = std::max(0.0f, std::min(a.x2, b.x2) - std::max(a.x1, b.x1));
  const float iy = std::max(0.0f, std::min(a.y2, b.y2) - std::max(a.y1, b.y1));
  const float smaller = std::min(a.area(), b.area());
  return smaller > 0 ? ix * iy / smaller : 0.0f;
}

std::vector<ScoredBox> NonMaxSuppression(std::vector<ScoredBox> boxes, float iou_threshold,
                                         float contain_threshold) {
  std::stable_sort(boxes.begin(), boxes.end(), [](const ScoredBox& a, const ScoredBox& b) {
    return a.level != b.level ? a.level < b.level : a.score > b.score;
  });
  std::vector<ScoredBox> kept;
  for (const auto& candidate : boxes) {
    if (candidate.box.area() <= 0) continue;
    bool suppressed = false;
    for (const auto& k : kept) {
      if (IoU(candidate.box, k.box) > iou_threshold ||
          IntersectionOverSmaller(candidate.box, k.box) >= contain_threshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) kept.push_back(candidate);
  }
  return kept;
}

std::vector<Tile> PlanTiles(int width, int height, int net_width, int net_height, int min_face_px,
                            int min_net_face_px, float overlap) {
  std::vector<Tile> tiles;
  if (width <= 0 || height <= 0) return tiles;
  tiles.push_back({0, 0, width, height});
  if (min_face_px <= 0 || net_width <= 0 || net_height <= 0) return tiles;
  // Largest tile width at which a min_face_px face still spans min_net_face_px net pixels.
  const double needed_tile_w = static_cast<double>(min_face_px) * net_width / min_net_face_px;
  const double aspect = static_cast<double>(net_height) / net_width;
  double tile_w = std::max(width, static_cast<int>(std::lround(height / aspect)));
  while (tile_w > needed_tile_w) {
    tile_w = std::max(tile_w / 2.0, needed_tile_w);
    const int tw = std::min(width, static_cast<int>(std::lround(tile_w)));
    const int th = std::min(height, static_cast<int>(std::lround(tile_w * aspect)));
    const int step_x = std::max(1, static_cast<int>(tw * (1.0f - overlap)));
    const int step_y = std::max(1, static_cast<int>(th * (1.0f - overlap)));
    for (int y = 0;; y += step_y) {
      const int yy = std::min(y, height - th);
      for (int x = 0;; x += step_x) {
        const int xx = std::min(x, width - tw);
        tiles.push_back({xx, yy, tw, th});
        if (xx + tw >= width) break;
      }
      if (yy + th >= height) break;
    }
  }
  return tiles;
}

std::array<double, 6> EstimateSimilarity(std::span<const Point2> src, std::span<const Point2> dst) {
  const size_t n = std::min(src.size(), dst.size());
  double msx = 0, msy = 0, mdx = 0, mdy = 0;
  for (size_t i = 0; i < n; ++i) {
    msx += src[i].x, msy += src[i].y, mdx += dst[i].x, mdy += dst[i].y;
  }
  msx /= n, msy /= n, mdx /= n, mdy /= n;
  // Closed-form 2-D Umeyama: maximise sum of dst·R·src over rotations, then fit scale.
  double sxx = 0, sxy = 0, var_src = 0;
  for (size_t i = 0; i < n; ++i) {
    const double sx = src[i].x - msx, sy = src[i].y - msy;
    const double dx = dst[i].x - mdx, dy = dst[i].y - mdy;
    sxx += sx * dx + sy * dy;  // cos component
    sxy += sx * dy - sy * dx;  // sin component
    var_src += sx * sx + sy * sy;
  }
  if (var_src <= 0) return {1, 0, mdx - msx, 0, 1, mdy - msy};
  const double a = sxx / var_src;  // scale * cos(theta)
  const double b = sxy / var_src;  // scale * sin(theta)
  const double tx = mdx - (a * msx - b * msy);
  const double ty = mdy - (b * msx + a * msy);
  return {a, -b, tx, b, a, ty};
}

}  // namespace likeness::vision
