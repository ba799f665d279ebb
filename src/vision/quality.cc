#include <algorithm>
#include <cmath>
#include <numbers>
#include <opencv2/imgproc.hpp>

#include "vision/face_analyzer.h"

namespace likeness::vision {
namespace {

// Named constants of the quality model (documented in docs/ARCHITECTURE.md, "Face quality").
constexpr float kSizeZeroPx = 12.0f;     // faces this small carry almost no identity
constexpr float kSizeFullPx = 40.0f;     // from here on size no longer limits quality
constexpr float kSharpnessFull = 60.0f;  // Laplacian variance of a crisp 112x112 face crop
constexpr float kYawFreeDeg = 25.0f;     // yaw up to here costs nothing
constexpr float kYawZeroDeg = 75.0f;     // profile: quality reaches zero
constexpr float kPitchFreeDeg = 20.0f;
constexpr float kPitchZeroDeg = 60.0f;
constexpr float kFrontalNoseRatio = 0.45f;  // nose between eye line (0) and mouth line (1), frontal

float Ramp(float v, float zero_at, float full_at) {
  return std::clamp((v - zero_at) / (full_at - zero_at), 0.0f, 1.0f);
}

float RadToDeg(float r) { return r * 180.0f / std::numbers::pi_v<float>; }

}  // namespace

FaceQuality AssessQuality(const BoxF& box, float detector_score, const FivePoints& points,
                          const cv::Mat& aligned_bgr) {
  FaceQuality q;
  q.face_px = std::min(box.width(), box.height());
  q.detector_score = detector_score;

  // Pose from the five points, in the frame of the eye line.
  const Point2 le = points[0], re = points[1], nose = points[2], lm = points[3], rm = points[4];
  const float ex = re.x - le.x, ey = re.y - le.y;
  const float iod = std::hypot(ex, ey);
  q.roll_deg = RadToDeg(std::atan2(ey, ex));
  if (iod > 1e-3f) {
    const float ux = ex / iod, uy = ey / iod;  // unit vector along the eyes
    const Point2 eye_mid{(le.x + re.x) / 2, (le.y + re.y) / 2};
    const Point2 mouth_mid{(lm.x + rm.x) / 2, (lm.y + rm.y) / 2};
    const float nose_along = (nose.x - eye_mid.x) * ux + (nose.y - eye_mid.y) * uy;
    const float nose_down = -(nose.x - eye_mid.x) * uy + (nose.y - eye_mid.y) * ux;
    const float mouth_down = -(mouth_mid.x - eye_mid.x) * uy + (mouth_mid.y - eye_mid.y) * ux;
    // The nose tip sits ~0.5 IOD in front of the eye plane; its sideways shift gives sin(yaw).
    q.yaw_deg = RadToDeg(std::asin(std::clamp(nose_along / (0.5f * iod) * 0.5f, -1.0f, 1.0f)));
    if (mouth_down > 1e-3f) {
      const float ratio = nose_down / mouth_down;
      q.pitch_deg =
          RadToDeg(std::asin(std::clamp((ratio - kFrontalNoseRatio) * 1.6f, -1.0f, 1.0f)));
    }
  }

  if (!aligned_bgr.empty()) {
    cv::Mat grey, lap;
    cv::cvtColor(aligned_bgr, grey, cv::COLOR_BGR2GRAY);
    cv::Laplacian(grey, lap, CV_32F);
    cv::Scalar mean, stddev;
    cv::meanStdDev(lap, mean, stddev);
    q.sharpness = static_cast<float>(stddev[0] * stddev[0]);
  }

  const float size_f = Ramp(q.face_px, kSizeZeroPx, kSizeFullPx);
  const float sharp_f = 0.3f + 0.7f * Ramp(q.sharpness, 0.0f, kSharpnessFull);
  const float yaw_f = 1.0f - Ramp(std::abs(q.yaw_deg), kYawFreeDeg, kYawZeroDeg);
  const float pitch_f = 1.0f - Ramp(std::abs(q.pitch_deg), kPitchFreeDeg, kPitchZeroDeg);
  const float det_f = std::sqrt(std::clamp(detector_score, 0.0f, 1.0f));
  q.overall = size_f * sharp_f * yaw_f * pitch_f * det_f;
  return q;
}

}  // namespace likeness::vision
