// A still photo made to look like one webcam frame, for the self-check tests and benchmarks: the
// grey photo scaled to the frame's height, its edge columns stretched to the frame's width (no
// visible photo border, which the passive liveness model rightly reads as a print), light noise.
#pragma once

#include <cstdint>
#include <opencv2/core.hpp>
#include <random>
#include <vector>

namespace likeness::testing {

inline constexpr int kCameraWidth = 640, kCameraHeight = 480;

// The 640x480 BGR frame; the noise (uniform in [-3, 3] per pixel) is drawn from `rng`.
cv::Mat CameraLikeFrame(const cv::Mat& grey, std::mt19937& rng);

// The same frame as a JPEG (quality 92), as a browser would send it.
std::vector<uint8_t> CameraLikeJpeg(const cv::Mat& grey, std::mt19937& rng);

}  // namespace likeness::testing
