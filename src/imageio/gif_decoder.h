// First-frame GIF decoding with giflib (OpenCV 4.6 has no GIF reader).
#pragma once

#include <cstdint>
#include <opencv2/core.hpp>
#include <span>

#include "likeness/status.h"

namespace likeness::imageio::internal {

// Decodes the first image of a GIF onto a white canvas the size of the logical screen (grown to
// hold the frame if it extends past the screen); transparent and uncovered pixels stay white. Only
// the records up to the first image are read, so later frames cost nothing. Returns CV_8UC3 BGR.
// Errors: InvalidArgument (corrupt, truncated, no image or no colour map), ResourceExhausted when
// the canvas has more than `max_pixels` pixels.
Result<cv::Mat> DecodeGifFirstFrame(std::span<const uint8_t> bytes, int64_t max_pixels);

}  // namespace likeness::imageio::internal
