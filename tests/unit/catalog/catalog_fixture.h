// The CatalogTest fixture: a fresh catalog in a temporary folder with one source.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "catalog_test_util.h"
#include "testing/test_env.h"

namespace likeness::catalog::testing {

// Matches the catalog's timestamps, e.g. "2026-11-26T10:00:00Z".
inline bool IsTimestamp(const std::string& s) {
  static const std::regex kTimestamp(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)");
  return std::regex_match(s, kTimestamp);
}

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.path() / "catalog.db";
    Reopen();
    auto source = catalog_->CreateSource(MakeSource("archive-1"));
    ASSERT_TRUE(source.ok()) << source.status().ToString();
    source_ = *source;
  }

  void Reopen() {
    catalog_.reset();
    auto opened = Catalog::Open(path_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    catalog_ = std::move(opened).value();
  }

  // Adds an image with `n` faces of `model`; returns the stored faces (with ids).
  std::vector<FaceRecord> AddImage(const std::string& hash, int n,
                                   const std::string& model = kModelA, float seed = 1) {
    ImageRecord image = MakeImage(source_.id, hash);
    std::vector<FaceRecord> faces = MakeFaces(model, n, seed);
    Status s = catalog_->AddImageWithFaces(image, faces);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return faces;
  }

  uint64_t Gen() {
    auto g = catalog_->Generation();
    EXPECT_TRUE(g.ok()) << g.status().ToString();
    return g.ok() ? *g : 0;
  }

  CatalogStats GetStats() {
    auto stats = catalog_->Stats();
    EXPECT_TRUE(stats.ok()) << stats.status().ToString();
    return stats.ok() ? *stats : CatalogStats{};
  }

  ::likeness::testing::TempDir dir_;
  std::filesystem::path path_;
  std::unique_ptr<Catalog> catalog_;
  SourceRecord source_;
};

inline void ExpectSameFace(const FaceRecord& got, const FaceRecord& want, bool with_embedding) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.image_id, want.image_id);
  EXPECT_EQ(got.box.x1, want.box.x1);
  EXPECT_EQ(got.box.y1, want.box.y1);
  EXPECT_EQ(got.box.x2, want.box.x2);
  EXPECT_EQ(got.box.y2, want.box.y2);
  for (size_t i = 0; i < want.points.size(); ++i) {
    EXPECT_EQ(got.points[i].x, want.points[i].x) << i;
    EXPECT_EQ(got.points[i].y, want.points[i].y) << i;
  }
  EXPECT_EQ(got.quality.face_px, want.quality.face_px);
  EXPECT_EQ(got.quality.sharpness, want.quality.sharpness);
  EXPECT_EQ(got.quality.yaw_deg, want.quality.yaw_deg);
  EXPECT_EQ(got.quality.pitch_deg, want.quality.pitch_deg);
  EXPECT_EQ(got.quality.roll_deg, want.quality.roll_deg);
  EXPECT_EQ(got.quality.detector_score, want.quality.detector_score);
  EXPECT_EQ(got.quality.overall, want.quality.overall);
  EXPECT_EQ(got.searchable, want.searchable);
  EXPECT_EQ(got.model_id, want.model_id);
  if (with_embedding) {
    EXPECT_EQ(got.embedding, want.embedding);
  } else {
    EXPECT_TRUE(got.embedding.empty());
  }
}

}  // namespace likeness::catalog::testing
