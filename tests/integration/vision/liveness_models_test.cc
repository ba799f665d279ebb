// The self-check's auxiliary models on real photos: head pose (fr_pose) agrees in sign with the
// landmark yaw on ORL head-turn series and reads near-frontal demo photos as frontal; eye state
// (fr_eye) reads open eyes as open and Yale's "wink" photos as one eye closed; passive liveness
// (fr_liveness) scores camera photos of real people as live; and the pose yaw flips sign with a
// mirrored photo. Set LIKENESS_PRINT_MEASUREMENTS=1 to
// print the per-photo values the thresholds in docs/PRIVACY.md were measured from.
// Skips only the dev-set cases when ../shared/data/faces-dev is absent.
#include "vision/liveness_models.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "imageio/decode.h"
#include "testing/test_env.h"
#include "vision/face_analyzer.h"

namespace likeness::vision {
namespace {
namespace fs = std::filesystem;

bool Print() { return std::getenv("LIKENESS_PRINT_MEASUREMENTS") != nullptr; }

std::vector<uint8_t> ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), {});
}

class LivenessModelsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = likeness::testing::ModelDir();
    ASSERT_TRUE(dir) << "models not set up (scripts/setup)";
    auto manifest = BuiltinManifest();
    ASSERT_TRUE(manifest.ok());
    auto verified = LoadVerifiedModels(*manifest, *dir);
    ASSERT_TRUE(verified.ok()) << verified.status().ToString();
    auto analyzer = FaceAnalyzer::Create(*verified);
    ASSERT_TRUE(analyzer.ok()) << analyzer.status().ToString();
    analyzer_ = std::move(*analyzer);
    auto models = LivenessModels::Create(*verified);
    ASSERT_TRUE(models.ok()) << models.status().ToString();
    models_ = std::move(*models);
  }

  struct Seen {
    cv::Mat bgr;
    AnalyzedFace face;
  };
  // The largest face of the photo at `path`; nullopt when the photo has none.
  std::optional<Seen> Largest(const fs::path& path) {
    auto img = imageio::DecodeImage(ReadFile(path));
    if (!img.ok()) return std::nullopt;
    AnalyzeOptions options;
    options.embed = false;
    auto faces = analyzer_->Analyze(img->bgr, options);
    if (!faces.ok() || faces->empty()) return std::nullopt;
    return Seen{img->bgr, (*faces)[0]};
  }

  std::unique_ptr<FaceAnalyzer> analyzer_;
  std::unique_ptr<LivenessModels> models_;
};

TEST(LivenessSpecsTest, BuiltinManifestHasTheSpecs) {
  auto specs = BuiltinLivenessSpecs();
  ASSERT_TRUE(specs.ok()) << specs.status().ToString();
  EXPECT_EQ(specs->pose.input_size, 224);
  EXPECT_EQ(specs->eye.input_size, 24);
  EXPECT_EQ(specs->liveness.input_size, 128);
  EXPECT_FALSE(ParseLivenessSpecs("{").ok());
  EXPECT_FALSE(ParseLivenessSpecs(R"({"models":{"eye":{"open_index":5}}})").ok());
}

TEST_F(LivenessModelsTest, DemoPhotosAreFrontalOpenEyedAndLive) {
  auto demo = likeness::testing::DemoPhotoDir();
  ASSERT_TRUE(demo) << "demo photos not set up (scripts/setup)";
  for (int i = 1; i <= 6; ++i) {
    const auto path = *demo / ("sample" + std::to_string(i) + ".jpg");
    auto seen = Largest(path);
    ASSERT_TRUE(seen) << path;
    auto pose = models_->Pose(seen->bgr, seen->face.box);
    ASSERT_TRUE(pose.ok()) << pose.status().ToString();
    auto eyes = models_->Eyes(seen->bgr, seen->face.landmarks);
    ASSERT_TRUE(eyes.ok()) << eyes.status().ToString();
    auto live = models_->PassiveLiveness(seen->bgr, seen->face.box);
    ASSERT_TRUE(live.ok()) << live.status().ToString();
    if (Print()) {
      std::cout << "demo " << path.filename().string() << " landmark_yaw "
                << seen->face.quality.yaw_deg << " yaw " << pose->yaw_deg << " pitch "
                << pose->pitch_deg << " roll " << pose->roll_deg << " eyes " << eyes->left_open
                << "," << eyes->right_open << " live " << *live << "\n";
    }
    if (i == 2) {
      // sample2's largest face is turned far to the side (landmark yaw about -28 degrees).
      EXPECT_GT(pose->yaw_deg, 45.0f) << path;
      continue;
    }
    EXPECT_LT(std::fabs(pose->yaw_deg), 25.0f) << path;
    EXPECT_GE(eyes->Open(), 0.9f) << path;
    EXPECT_GE(*live, 0.9f) << path;
  }
}

// Pearson correlation.
double Correlation(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = static_cast<double>(a.size());
  double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    sa += a[i], sb += b[i], saa += a[i] * a[i], sbb += b[i] * b[i], sab += a[i] * b[i];
  }
  const double cov = sab / n - (sa / n) * (sb / n);
  return cov / std::sqrt((saa / n - (sa / n) * (sa / n)) * (sbb / n - (sb / n) * (sb / n)));
}

TEST_F(LivenessModelsTest, OrlSeriesPoseAgreesWithLandmarkYaw) {
  auto dev = likeness::testing::FacesDevDir();
  if (!dev || !fs::exists(*dev / "orl")) GTEST_SKIP() << "faces-dev/orl not present";
  std::vector<double> yaw, flipped_yaw, landmark_yaw;
  for (int s = 1; s <= 40; ++s) {
    for (int i = 1; i <= 10; ++i) {
      const auto path = *dev / "orl" / ("s" + std::to_string(s)) / (std::to_string(i) + ".pgm");
      auto seen = Largest(path);
      if (!seen) {
        if (Print()) std::cout << "orl s" << s << "/" << i << " no face\n";
        continue;
      }
      auto pose = models_->Pose(seen->bgr, seen->face.box);
      ASSERT_TRUE(pose.ok());
      cv::Mat flipped;
      cv::flip(seen->bgr, flipped, 1);
      const BoxF& b = seen->face.box;
      const BoxF fb{seen->bgr.cols - b.x2, b.y1, seen->bgr.cols - b.x1, b.y2};
      auto flipped_pose = models_->Pose(flipped, fb);
      ASSERT_TRUE(flipped_pose.ok());
      auto eyes = models_->Eyes(seen->bgr, seen->face.landmarks);
      ASSERT_TRUE(eyes.ok());
      auto live = models_->PassiveLiveness(seen->bgr, seen->face.box);
      ASSERT_TRUE(live.ok());
      if (Print()) {
        std::cout << "orl s" << s << "/" << i << " landmark_yaw " << seen->face.quality.yaw_deg
                  << " yaw " << pose->yaw_deg << " pitch " << pose->pitch_deg << " eyes "
                  << eyes->left_open << "," << eyes->right_open << " live " << *live
                  << " flipped_yaw " << flipped_pose->yaw_deg << "\n";
      }
      yaw.push_back(pose->yaw_deg);
      flipped_yaw.push_back(flipped_pose->yaw_deg);
      landmark_yaw.push_back(seen->face.quality.yaw_deg);
    }
  }
  ASSERT_GT(yaw.size(), 300u);
  // Mirroring the photo negates the yaw; the landmark yaw (positive: nose toward the image's
  // right) runs opposite to the model's yaw. Measured: -0.86 and -0.90.
  EXPECT_LT(Correlation(yaw, flipped_yaw), -0.8);
  EXPECT_LT(Correlation(yaw, landmark_yaw), -0.8);
}

TEST_F(LivenessModelsTest, YaleWinkAndSleepyEyes) {
  auto dev = likeness::testing::FacesDevDir();
  if (!dev || !fs::exists(*dev / "yale")) GTEST_SKIP() << "faces-dev/yale not present";
  int normal_open = 0, sleepy_closed = 0, wink_one_closed = 0;
  for (int s = 1; s <= 15; ++s) {
    char name[16];
    std::snprintf(name, sizeof name, "subject%02d", s);
    for (const char* cond : {"normal", "wink", "sleepy"}) {
      const auto path = *dev / "yale" / (std::string(name) + "." + cond);
      auto seen = Largest(path);
      if (!seen) continue;
      auto eyes = models_->Eyes(seen->bgr, seen->face.landmarks);
      ASSERT_TRUE(eyes.ok());
      auto live = models_->PassiveLiveness(seen->bgr, seen->face.box);
      ASSERT_TRUE(live.ok());
      if (Print()) {
        std::cout << "yale " << name << "." << cond << " eyes " << eyes->left_open << ","
                  << eyes->right_open << " live " << *live << "\n";
      }
      const std::string c = cond;
      if (c == "normal" && eyes->Open() >= 0.7f) ++normal_open;
      if (c == "sleepy" && eyes->Open() <= 0.3f) ++sleepy_closed;
      if (c == "wink" && std::min(eyes->left_open, eyes->right_open) <= 0.5f) ++wink_one_closed;
    }
  }
  // Measured: 12, 13 and 12 of 15 (the blink thresholds are 0.7 open, 0.3 closed).
  EXPECT_GE(normal_open, 11);
  EXPECT_GE(sleepy_closed, 11);
  EXPECT_GE(wink_one_closed, 10);
}

}  // namespace
}  // namespace likeness::vision
