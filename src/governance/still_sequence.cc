#include "governance/still_sequence.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>
#include <tuple>
#include <utility>

namespace likeness::governance {
namespace {

// Rows of the patch that hold the eyes (the aligned crop's eyes sit at y = 51.6 of 112, i.e. 29.5
// of 64): left out of the comparison so an eye band painted dark on a still changes nothing.
constexpr int kEyeBandTop = 21;
constexpr int kEyeBandBottom = 39;
constexpr int kBorder = 4;  // a warp moves pixels in from outside the patch at its edges
// The eyes themselves (lids, irises), compared after the warp: a blink changes them, paint over a
// photo only darkens them. Centred on the aligned crop's eye positions (x 21.9 and 42.0 of 64).
const cv::Rect kEyes[2] = {cv::Rect(15, 25, 14, 9), cv::Rect(35, 25, 14, 9)};

cv::Mat ComparisonMask() {
  cv::Mat mask(kFacePatchSize, kFacePatchSize, CV_8U, cv::Scalar(0));
  mask(cv::Rect(kBorder, kBorder, kFacePatchSize - 2 * kBorder, kFacePatchSize - 2 * kBorder))
      .setTo(255);
  mask.rowRange(kEyeBandTop, kEyeBandBottom).setTo(0);
  return mask;
}

// Zero-mean normalised cross-correlation of two equal-size CV_32F regions (0 when flat).
float Ncc(const cv::Mat& a, const cv::Mat& b) {
  cv::Scalar ma, sa, mb, sb;
  cv::meanStdDev(a, ma, sa);
  cv::meanStdDev(b, mb, sb);
  if (sa[0] < 1e-6 || sb[0] < 1e-6) return 0;
  cv::Mat za = a - ma[0], zb = b - mb[0];
  return static_cast<float>(za.dot(zb) / (a.total() * sa[0] * sb[0]));
}

// ECC correlation outside the eye band after fitting a homography from `a` onto `b`, and the
// eye bands' NCC after that warp; {-1, -1} when ECC does not converge.
std::pair<float, float> EccCorrelation(const cv::Mat& a, const cv::Mat& b, const cv::Mat& mask) {
  cv::Mat warp = cv::Mat::eye(3, 3, CV_32F);
  float outside = -1;
  try {
    outside = static_cast<float>(cv::findTransformECC(
        a, b, warp, cv::MOTION_HOMOGRAPHY,
        cv::TermCriteria(cv::TermCriteria::COUNT + cv::TermCriteria::EPS, 60, 1e-5), mask, 3));
  } catch (const cv::Exception&) {
    return {-1.0f, -1.0f};  // no warp relates them (ECC diverged): certainly not one still
  }
  cv::Mat aligned;
  cv::warpPerspective(b, aligned, warp, a.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                      cv::BORDER_REPLICATE);
  cv::Mat ea, eb;
  cv::hconcat(a(kEyes[0]), a(kEyes[1]), ea);
  cv::hconcat(aligned(kEyes[0]), aligned(kEyes[1]), eb);
  return {outside, Ncc(ea, eb)};
}

}  // namespace

cv::Mat FacePatchOf(const cv::Mat& aligned_bgr) {
  if (aligned_bgr.empty()) return {};
  cv::Mat grey, small, out;
  if (aligned_bgr.channels() == 3) {
    cv::cvtColor(aligned_bgr, grey, cv::COLOR_BGR2GRAY);
  } else {
    grey = aligned_bgr;
  }
  cv::resize(grey, small, cv::Size(kFacePatchSize, kFacePatchSize), 0, 0, cv::INTER_AREA);
  small.convertTo(out, CV_32F, 1.0 / 255.0);
  return out;
}

WarpMatch MatchAsWarp(const cv::Mat& a, const cv::Mat& b) {
  WarpMatch m;
  if (a.empty() || b.empty() || a.size() != b.size()) return m;
  static const cv::Mat mask = ComparisonMask();
  std::tie(m.direct, m.direct_eyes) = EccCorrelation(a, b, mask);
  cv::Mat flipped;
  cv::flip(b, flipped, 1);
  std::tie(m.mirrored, m.mirrored_eyes) = EccCorrelation(a, flipped, mask);
  return m;
}

bool ContinuousTrack(const std::vector<BoxF>& boxes, float max_jump, float max_scale) {
  for (size_t i = 1; i < boxes.size(); ++i) {
    const BoxF& p = boxes[i - 1];
    const BoxF& q = boxes[i];
    const float w = std::max(1.0f, std::min(p.width(), q.width()));
    const float jump = std::hypot(q.cx() - p.cx(), q.cy() - p.cy()) / w;
    const float scale = std::max(p.width(), q.width()) / w;
    if (jump > max_jump || scale > max_scale) return false;
  }
  return true;
}

}  // namespace likeness::governance
