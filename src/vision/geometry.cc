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

namespace {

// Offsets of the fewest windows of `size` covering [from, from + length) of [0, limit) with at
// least `min_overlap` between neighbours, spread evenly and kept inside [0, limit).
std::vector<int> CoverSpan(int from, int length, int size, int min_overlap, int limit) {
  std::vector<int> at;
  if (length <= size) {
    at.push_back(std::clamp(from + length / 2 - size / 2, 0, limit - size));
    return at;
  }
  const int stride = std::max(1, size - min_overlap);
  const int n = 1 + (length - size + stride - 1) / stride;
  const double step = static_cast<double>(length - size) / (n - 1);
  for (int i = 0; i < n; ++i) {
    at.push_back(std::clamp(from + static_cast<int>(std::lround(i * step)), 0, limit - size));
  }
  return at;
}

}  // namespace

std::optional<BoxF> WholeInTile(const BoxF& box, const Tile& tile, int width, int height,
                                float edge_margin) {
  const bool cut = (box.x1 < tile.x + edge_margin && tile.x > 0) ||
                   (box.y1 < tile.y + edge_margin && tile.y > 0) ||
                   (box.x2 > tile.x + tile.width - edge_margin && tile.x + tile.width < width) ||
                   (box.y2 > tile.y + tile.height - edge_margin && tile.y + tile.height < height);
  if (cut) return std::nullopt;
  const float w = static_cast<float>(width), h = static_cast<float>(height);
  return BoxF{std::clamp(box.x1, 0.0f, w), std::clamp(box.y1, 0.0f, h), std::clamp(box.x2, 0.0f, w),
              std::clamp(box.y2, 0.0f, h)};
}

std::vector<Tile> PlanSmallFaceTiles(int width, int height, int net_width, int net_height,
                                     std::span<const BoxF> anchors, int small_face_px,
                                     int min_net_face_px, float reach, size_t max_tiles,
                                     float overlap) {
  std::vector<Tile> chosen;
  if (anchors.empty() || max_tiles == 0 || width <= 0 || height <= 0 || small_face_px <= 0 ||
      net_width <= 0 || net_height <= 0 || min_net_face_px <= 0) {
    return chosen;
  }
  const double aspect = static_cast<double>(net_height) / net_width;
  const double tile_w = static_cast<double>(small_face_px) * net_width / min_net_face_px;
  const int tw = static_cast<int>(std::lround(tile_w));
  const int th = static_cast<int>(std::lround(tile_w * aspect));
  if (tw >= width && th >= height) return chosen;  // the whole frame already is this fine
  const int cw = std::min(width, tw), ch = std::min(height, th);
  // Each anchor's neighbourhood, clipped to the image; overlapping ones merged into one region.
  struct Region {
    int x1, y1, x2, y2;
    bool Meets(const Region& o) const { return x1 < o.x2 && o.x1 < x2 && y1 < o.y2 && o.y1 < y2; }
  };
  std::vector<Region> reach_regions;
  for (const BoxF& a : anchors) {
    const float grow = reach * std::max(a.width(), a.height());
    Region r{std::max(0, static_cast<int>(std::floor(a.x1 - grow))),
             std::max(0, static_cast<int>(std::floor(a.y1 - grow))),
             std::min(width, static_cast<int>(std::ceil(a.x2 + grow))),
             std::min(height, static_cast<int>(std::ceil(a.y2 + grow)))};
    if (r.x2 > r.x1 && r.y2 > r.y1) reach_regions.push_back(r);
  }
  std::vector<Region> merged = reach_regions;
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t i = 0; i < merged.size() && !changed; ++i) {
      for (size_t j = i + 1; j < merged.size() && !changed; ++j) {
        if (!merged[i].Meets(merged[j])) continue;
        merged[i] = {std::min(merged[i].x1, merged[j].x1), std::min(merged[i].y1, merged[j].y1),
                     std::max(merged[i].x2, merged[j].x2), std::max(merged[i].y2, merged[j].y2)};
        merged.erase(merged.begin() + static_cast<std::ptrdiff_t>(j));
        changed = true;
      }
    }
  }
  // Cover each region with the fewest windows overlapping by `overlap` of their size.
  struct Scored {
    Tile tile;
    int hits;
  };
  std::vector<Scored> candidates;
  const int min_overlap_x = static_cast<int>(std::lround(cw * overlap));
  const int min_overlap_y = static_cast<int>(std::lround(ch * overlap));
  for (const Region& r : merged) {
    for (int y : CoverSpan(r.y1, r.y2 - r.y1, ch, min_overlap_y, height)) {
      for (int x : CoverSpan(r.x1, r.x2 - r.x1, cw, min_overlap_x, width)) {
        const Region t{x, y, x + cw, y + ch};
        int hits = 0;
        for (const Region& n : reach_regions) hits += t.Meets(n) ? 1 : 0;
        candidates.push_back({{x, y, cw, ch}, hits});
      }
    }
  }
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Scored& a, const Scored& b) { return a.hits > b.hits; });
  if (candidates.size() > max_tiles) candidates.resize(max_tiles);
  for (const Scored& c : candidates) chosen.push_back(c.tile);
  std::sort(chosen.begin(), chosen.end(),
            [](const Tile& a, const Tile& b) { return a.y != b.y ? a.y < b.y : a.x < b.x; });
  return chosen;
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
