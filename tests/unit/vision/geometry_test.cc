#include "vision/geometry.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

namespace likeness::vision {
namespace {

TEST(GeometryTest, IoU) {
  EXPECT_FLOAT_EQ(IoU({0, 0, 10, 10}, {0, 0, 10, 10}), 1.0f);
  EXPECT_FLOAT_EQ(IoU({0, 0, 10, 10}, {20, 20, 30, 30}), 0.0f);
  EXPECT_NEAR(IoU({0, 0, 10, 10}, {5, 0, 15, 10}), 50.0f / 150.0f, 1e-6);
}

TEST(GeometryTest, NmsKeepsBestAndDropsOverlapsAndContainedCuts) {
  std::vector<ScoredBox> boxes = {
      {{0, 0, 10, 10}, 0.8f},     // overlaps the best heavily
      {{1, 1, 11, 11}, 0.9f},     // best
      {{50, 50, 60, 60}, 0.7f},   // separate face
      {{52, 50, 57, 60}, 0.75f},  // half a face cut by a tile, lying inside the separate face
  };
  auto kept = NonMaxSuppression(boxes, 0.4f);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_FLOAT_EQ(kept[0].score, 0.9f);
  // Same level: the higher-scoring cut half wins and the whole face, containing it, is suppressed.
  EXPECT_FLOAT_EQ(kept[1].score, 0.75f);
}

TEST(GeometryTest, NmsPrefersCoarserLevels) {
  std::vector<ScoredBox> boxes = {
      {{50, 50, 60, 60}, 0.7f, 0},   // whole-frame box
      {{51, 50, 61, 60}, 0.99f, 2},  // the same face seen in a small tile, higher score
  };
  auto kept = NonMaxSuppression(boxes, 0.4f);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].level, 0);
}

TEST(GeometryTest, NmsIgnoresEmptyBoxes) {
  auto kept = NonMaxSuppression({{{5, 5, 5, 9}, 0.9f}}, 0.4f);
  EXPECT_TRUE(kept.empty());
}

TEST(GeometryTest, SmallImageGetsOnlyTheWholeFrame) {
  auto tiles = PlanTiles(250, 250, 320, 240, 24);
  ASSERT_EQ(tiles.size(), 1u);
  EXPECT_EQ(tiles[0].width, 250);
}

TEST(GeometryTest, TilesCoverLargeImageAndAreSmallEnoughForMinFace) {
  const int w = 1920, h = 1280, min_face = 24;
  auto tiles = PlanTiles(w, h, 320, 240, min_face);
  ASSERT_GT(tiles.size(), 1u);
  int smallest = w;
  for (const auto& t : tiles) {
    EXPECT_GE(t.x, 0);
    EXPECT_GE(t.y, 0);
    EXPECT_LE(t.x + t.width, w);
    EXPECT_LE(t.y + t.height, h);
    smallest = std::min(smallest, t.width);
  }
  // A 24 px face must span >= 20 net pixels in the smallest tiles: tile width <= 24 * 320 / 20 =
  // 384.
  EXPECT_LE(smallest, 384);
  // Every 24x24 face position lies wholly inside some smallest-level tile.
  for (int y = 0; y + min_face <= h; y += 37) {
    for (int x = 0; x + min_face <= w; x += 41) {
      bool inside = false;
      for (const auto& t : tiles) {
        if (t.width != smallest) continue;
        if (x >= t.x && y >= t.y && x + min_face <= t.x + t.width &&
            y + min_face <= t.y + t.height) {
          inside = true;
          break;
        }
      }
      ASSERT_TRUE(inside) << "face at " << x << "," << y << " is in no tile";
    }
  }
}

// Issue 13: the small-face level's windows.
TEST(GeometryTest, SmallFaceTilesNeedAnAnchor) {
  EXPECT_TRUE(PlanSmallFaceTiles(1920, 1080, 320, 240, {}, 16, 20, 4.0f, 24).empty());
}

TEST(GeometryTest, SmallFaceTilesCoverOnlyTheAnchorsNeighbourhood) {
  const BoxF anchor{900, 500, 940, 540};  // 40 px: reach 160 px on each side
  const std::vector<BoxF> anchors = {anchor};
  auto tiles = PlanSmallFaceTiles(1920, 1080, 320, 240, anchors, 16, 20, 4.0f, 100);
  ASSERT_FALSE(tiles.empty());
  // 16 px spans 20 net pixels: tiles of 16 * 320 / 20 = 256 by 192.
  for (const auto& t : tiles) {
    EXPECT_EQ(t.width, 256);
    EXPECT_EQ(t.height, 192);
    EXPECT_LT(t.x, 940 + 160);
    EXPECT_GT(t.x + t.width, 900 - 160);
    EXPECT_LT(t.y, 540 + 160);
    EXPECT_GT(t.y + t.height, 500 - 160);
  }
  // Far fewer than the full grid (10 x 8 tiles of 1920x1080).
  EXPECT_LE(tiles.size(), 20u);
  // Every face of up to 30 px within the reach lies wholly inside a tile.
  const int face = 30;
  for (int y = 500 - 160; y + face <= 540 + 160; y += 7) {
    for (int x = 900 - 160; x + face <= 940 + 160; x += 7) {
      bool inside = false;
      for (const auto& t : tiles) {
        inside = inside ||
                 (x >= t.x && y >= t.y && x + face <= t.x + t.width && y + face <= t.y + t.height);
      }
      ASSERT_TRUE(inside) << "face at " << x << "," << y << " is in no tile";
    }
  }
}

TEST(GeometryTest, SmallFaceTilesAreCappedCrowdsFirst) {
  // A crowd of five anchors at the top left, one lone anchor at the bottom right.
  std::vector<BoxF> anchors;
  for (int i = 0; i < 5; ++i) anchors.push_back({100.0f + 40 * i, 100, 130.0f + 40 * i, 130});
  anchors.push_back({1800, 1000, 1830, 1030});
  auto all = PlanSmallFaceTiles(1920, 1080, 320, 240, anchors, 16, 20, 4.0f, 1000);
  auto capped = PlanSmallFaceTiles(1920, 1080, 320, 240, anchors, 16, 20, 4.0f, 2);
  ASSERT_GT(all.size(), 2u);
  ASSERT_EQ(capped.size(), 2u);
  for (const auto& t : capped) EXPECT_LT(t.x + t.y, 1000) << t.x << "," << t.y;
  // Sorted by (y, x).
  for (size_t i = 1; i < capped.size(); ++i) {
    EXPECT_TRUE(capped[i - 1].y < capped[i].y ||
                (capped[i - 1].y == capped[i].y && capped[i - 1].x < capped[i].x));
  }
}

TEST(GeometryTest, SmallFaceTilesNotNeededWhenTheFrameIsFineEnough) {
  const std::vector<BoxF> anchors = {{50, 50, 90, 90}};
  EXPECT_TRUE(PlanSmallFaceTiles(250, 180, 320, 240, anchors, 16, 20, 4.0f, 24).empty());
}

TEST(GeometryTest, SimilarityRecoversKnownTransform) {
  const double angle = 0.3, scale = 1.7, tx = 12.5, ty = -4.0;
  const double a = scale * std::cos(angle), b = scale * std::sin(angle);
  std::vector<Point2> src = {{10, 20}, {40, 22}, {25, 35}, {15, 50}, {38, 49}};
  std::vector<Point2> dst;
  for (const auto& p : src) {
    dst.push_back(
        {static_cast<float>(a * p.x - b * p.y + tx), static_cast<float>(b * p.x + a * p.y + ty)});
  }
  auto m = EstimateSimilarity(src, dst);
  EXPECT_NEAR(m[0], a, 1e-4);
  EXPECT_NEAR(m[1], -b, 1e-4);
  EXPECT_NEAR(m[2], tx, 1e-3);
  EXPECT_NEAR(m[3], b, 1e-4);
  EXPECT_NEAR(m[4], a, 1e-4);
  EXPECT_NEAR(m[5], ty, 1e-3);
}

TEST(GeometryTest, SimilarityIsLeastSquaresNotThreePoint) {
  // With noise on one point, the fit spreads the error over all five instead of matching 3 exactly.
  std::vector<Point2> src = {{0, 0}, {10, 0}, {5, 5}, {1, 10}, {9, 10}};
  std::vector<Point2> dst = src;
  dst[2].x += 2.0f;  // nose moved
  auto m = EstimateSimilarity(src, dst);
  double err_total = 0;
  for (size_t i = 0; i < src.size(); ++i) {
    const double x = m[0] * src[i].x + m[1] * src[i].y + m[2];
    const double y = m[3] * src[i].x + m[4] * src[i].y + m[5];
    err_total += (x - dst[i].x) * (x - dst[i].x) + (y - dst[i].y) * (y - dst[i].y);
  }
  // A fit exact on the eyes and a mouth corner (the identity) leaves 2^2 = 4 of squared error; the
  // least-squares fit shares the shift: 4 * 0.4^2 + 1.6^2 = 3.2.
  EXPECT_NEAR(err_total, 3.2, 1e-3);
  EXPECT_GT(std::abs(m[2]), 0.1);  // translation absorbed part of the nose shift
}

}  // namespace
}  // namespace likeness::vision

namespace likeness::vision {
namespace {

// The tile-edge rule the pyramid and the small-face level share: a face touching an edge of the
// tile that lies inside the image is cut (another tile holds it whole); image edges do not count,
// and what is kept is clipped to the image.
TEST(GeometryTest, WholeInTileDropsFacesCutByAnInnerEdgeOnly) {
  const Tile inner{100, 100, 200, 150};  // inside a 1000 x 800 image on every side
  EXPECT_TRUE(WholeInTile({150, 150, 200, 200}, inner, 1000, 800).has_value());
  EXPECT_FALSE(WholeInTile({101, 150, 150, 200}, inner, 1000, 800).has_value());  // left edge
  EXPECT_FALSE(WholeInTile({150, 150, 299, 200}, inner, 1000, 800).has_value());  // right edge
  EXPECT_FALSE(WholeInTile({150, 249, 200, 260}, inner, 1000, 800).has_value());  // bottom edge
  // A tile at the image's corner: its left and top edges are the image's, so a face there is whole,
  // and its box is clipped to the image.
  const Tile corner{0, 0, 200, 150};
  const auto kept = WholeInTile({-3, -2, 50, 60}, corner, 1000, 800);
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->x1, 0.0f);
  EXPECT_EQ(kept->y1, 0.0f);
  EXPECT_EQ(kept->x2, 50.0f);
  // The whole frame has no inner edge at all.
  EXPECT_TRUE(WholeInTile({0, 0, 1000, 800}, Tile{0, 0, 1000, 800}, 1000, 800).has_value());
}

}  // namespace
}  // namespace likeness::vision
