// The still-photo checks of the public self-check on synthetic patches: a face-like patch warped by
// one homography, or mirrored, is recognised as a warp of the original; a different patch is not;
// a painted-dark eye band does not hide a still; face tracks that jump are not continuous.
#include "governance/still_sequence.h"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>
#include <random>

namespace likeness::governance {
namespace {

constexpr float kWarp = 0.99f;  // LivenessThresholds::warp_corr

// Smooth random texture (a stand-in for a face patch), CV_32F in 0..1.
cv::Mat Texture(uint32_t seed) {
  std::mt19937 rng(seed);
  cv::Mat small(12, 12, CV_32F);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  for (int y = 0; y < 12; ++y) {
    for (int x = 0; x < 12; ++x) small.at<float>(y, x) = u(rng);
  }
  cv::Mat out;
  cv::resize(small, out, cv::Size(kFacePatchSize, kFacePatchSize), 0, 0, cv::INTER_CUBIC);
  return out;
}

cv::Mat Warped(const cv::Mat& p, float keystone) {
  const float s = kFacePatchSize;
  const cv::Point2f src[4] = {{0, 0}, {s, 0}, {s, s}, {0, s}};
  const cv::Point2f dst[4] = {
      {0, 0}, {s - keystone, keystone}, {s - keystone, s - keystone}, {0, s}};
  cv::Mat out;
  cv::warpPerspective(p, out, cv::getPerspectiveTransform(src, dst), p.size(), cv::INTER_LINEAR,
                      cv::BORDER_REPLICATE);
  return out;
}

TEST(StillSequence, AWarpOrMirrorOfOnePatchIsRecognised) {
  const cv::Mat a = Texture(1);
  EXPECT_GE(MatchAsWarp(a, Warped(a, 3)).direct, kWarp);
  cv::Mat mirrored;
  cv::flip(a, mirrored, 1);
  const WarpMatch m = MatchAsWarp(a, mirrored);
  EXPECT_GE(m.mirrored, kWarp);
  EXPECT_GT(m.mirrored, m.direct);
  EXPECT_LT(MatchAsWarp(a, Texture(2)).best(), kWarp);
}

TEST(StillSequence, APaintedEyeBandDoesNotHideAStill) {
  const cv::Mat a = Texture(3);
  cv::Mat painted = a.clone();
  painted.rowRange(24, 36) *= 0.3;
  EXPECT_GE(MatchAsWarp(a, painted).direct, kWarp);
}

TEST(StillSequence, AJumpingFaceIsNotOneTrack) {
  const BoxF a{100, 100, 200, 200};
  const BoxF near{110, 105, 212, 207};
  const BoxF far{400, 100, 500, 200};
  const BoxF huge{50, 50, 350, 350};
  EXPECT_TRUE(ContinuousTrack({a, near, a}));
  EXPECT_FALSE(ContinuousTrack({a, far}));
  EXPECT_FALSE(ContinuousTrack({a, huge}));
}

}  // namespace
}  // namespace likeness::governance
