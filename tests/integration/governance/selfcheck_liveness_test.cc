// The self-check liveness decision with the real models on a camera-like sequence assembled from
// one ORL person's photos (s39: facing the camera, then turned to their left), the way the browser
// test feeds Chromium's fake camera: each photo filling a 640x480 frame, with sensor-like noise,
// JPEG-encoded. It answers turn-left and fails turn-right and blink; the same photo repeated
// (a still) fails. A Yale open-closed-open sequence answers blink. Skips when the dev set is
// absent.
#include "governance/selfcheck_liveness.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

#include "governance/still_sequence.h"
#include "imageio/decode.h"
#include "testing/camera_frame.h"
#include "testing/test_env.h"

namespace likeness::governance {
namespace {
namespace fs = std::filesystem;

constexpr int kSubject = 39;
// Photos of s39 in capture order: frontal (5, 9), then turned to the subject's left (2, 8, 7).
constexpr int kTurnLeftSeries[] = {5, 9, 5, 9, 2, 8, 7, 8};

std::vector<uint8_t> ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), {});
}

TEST(SelfCheckLiveness, OrlTurnSequenceAnswersTurnLeftOnly) {
  auto dev = likeness::testing::FacesDevDir();
  if (!dev || !fs::exists(*dev / "orl")) GTEST_SKIP() << "faces-dev/orl not present";
  likeness::testing::TempDir dir;
  engine::EngineOptions options;
  options.data_dir = dir.path() / "data";
  options.model_dir = *likeness::testing::ModelDir();
  auto eng = engine::Engine::Open(options);
  ASSERT_TRUE(eng.ok()) << eng.status().ToString();
  auto analyzer = (*eng)->NewAnalyzer();
  ASSERT_TRUE(analyzer.ok());
  auto models = vision::LivenessModels::Create((*eng)->models());
  ASSERT_TRUE(models.ok()) << models.status().ToString();

  std::mt19937 rng(7);
  std::vector<FrameMeasure> frames;
  for (int i : kTurnLeftSeries) {
    const auto path =
        *dev / "orl" / ("s" + std::to_string(kSubject)) / (std::to_string(i) + ".pgm");
    auto img = imageio::DecodeImage(ReadFile(path));
    ASSERT_TRUE(img.ok()) << path;
    cv::Mat grey;
    cv::cvtColor(img->bgr, grey, cv::COLOR_BGR2GRAY);
    auto m =
        MeasureFrame(**eng, **analyzer, **models, likeness::testing::CameraLikeJpeg(grey, rng));
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    if (std::getenv("LIKENESS_PRINT_MEASUREMENTS")) {
      std::cout << "s" << kSubject << "/" << i << " faces " << m->faces << " yaw " << m->yaw_deg
                << " eyes " << m->eye_open << " live " << m->live << "\n";
    }
    frames.push_back(std::move(*m));
  }
  const ChallengeVerdict left = DecideChallenge(frames, ChallengeKind::kTurnLeft);
  EXPECT_TRUE(left.live) << left.reason << " sweep " << left.yaw_sweep_deg << " live "
                         << left.live_score << " same " << left.min_same_face;
  EXPECT_FALSE(DecideChallenge(frames, ChallengeKind::kTurnRight).live);
  EXPECT_FALSE(DecideChallenge(frames, ChallengeKind::kBlink).live);

  // A still: the first frame sent again and again (byte-identical).
  std::vector<FrameMeasure> still(6, frames[0]);
  EXPECT_FALSE(DecideChallenge(still, ChallengeKind::kTurnLeft).live);
}

// A blink from real eye crops: Yale subject11's "normal" (eyes open) and "sleepy" (eyes closed)
// photos as open, open, closed, closed, open, open camera-like frames.
TEST(SelfCheckLiveness, YaleOpenClosedOpenAnswersBlink) {
  auto dev = likeness::testing::FacesDevDir();
  if (!dev || !fs::exists(*dev / "yale")) GTEST_SKIP() << "faces-dev/yale not present";
  likeness::testing::TempDir dir;
  engine::EngineOptions options;
  options.data_dir = dir.path() / "data";
  options.model_dir = *likeness::testing::ModelDir();
  auto eng = engine::Engine::Open(options);
  ASSERT_TRUE(eng.ok()) << eng.status().ToString();
  auto analyzer = (*eng)->NewAnalyzer();
  ASSERT_TRUE(analyzer.ok());
  auto models = vision::LivenessModels::Create((*eng)->models());
  ASSERT_TRUE(models.ok());
  std::mt19937 rng(7);
  std::vector<FrameMeasure> frames;
  for (const char* cond : {"normal", "normal", "sleepy", "sleepy", "normal", "normal"}) {
    auto img = imageio::DecodeImage(ReadFile(*dev / "yale" / (std::string("subject11.") + cond)));
    ASSERT_TRUE(img.ok()) << cond;
    cv::Mat grey;
    cv::cvtColor(img->bgr, grey, cv::COLOR_BGR2GRAY);
    auto m =
        MeasureFrame(**eng, **analyzer, **models, likeness::testing::CameraLikeJpeg(grey, rng));
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    if (std::getenv("LIKENESS_PRINT_MEASUREMENTS")) {
      std::cout << "yale subject11." << cond << " faces " << m->faces << " yaw " << m->yaw_deg
                << " eyes " << m->eye_open << " live " << m->live << "\n";
    }
    frames.push_back(std::move(*m));
  }
  if (std::getenv("LIKENESS_PRINT_MEASUREMENTS")) {
    for (size_t i = 1; i < frames.size(); ++i) {
      const WarpMatch m = MatchAsWarp(frames[0].patch, frames[i].patch);
      std::cout << "frame " << i + 1 << " vs first: outside " << m.direct << " eyes "
                << m.direct_eyes << " mirrored " << m.mirrored << " / " << m.mirrored_eyes << "\n";
    }
  }
  const ChallengeVerdict blink = DecideChallenge(frames, ChallengeKind::kBlink);
  EXPECT_TRUE(blink.live) << blink.reason << " live " << blink.live_score;
  EXPECT_FALSE(DecideChallenge(frames, ChallengeKind::kTurnLeft).live);
  // Eyes that never open again are no blink.
  frames.resize(4);
  EXPECT_FALSE(DecideChallenge(frames, ChallengeKind::kBlink).live);
}

}  // namespace
}  // namespace likeness::governance
