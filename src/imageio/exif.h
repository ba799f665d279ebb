// TIFF IFD0 parsing (shared by TIFF headers and EXIF blocks) and EXIF orientation.
#pragma once

#include <cstdint>
#include <opencv2/core.hpp>
#include <optional>
#include <span>

#include "likeness/status.h"

namespace likeness::imageio::internal {

// The IFD0 tags Likeness reads. A tag is set only when present with a SHORT or LONG value.
struct TiffIfd0 {
  std::optional<uint32_t> image_width;   // tag 256
  std::optional<uint32_t> image_length;  // tag 257
  std::optional<uint32_t> orientation;   // tag 274
};

// Parses the TIFF header ("II*\0" or "MM\0*") and the entries of IFD0 of `tiff`, which is a whole
// TIFF file or the TIFF structure inside an EXIF block. Errors: InvalidArgument when the header or
// IFD0 is truncated or malformed.
Result<TiffIfd0> ReadTiffIfd0(std::span<const uint8_t> tiff);

// The EXIF Orientation (1-8) of an EXIF block (with or without the "Exif\0\0" prefix); 1 when the
// block is empty, malformed, lacks the tag, or holds an out-of-range value.
int ExifOrientation(std::span<const uint8_t> exif);

// True for orientations 5-8, which swap width and height.
inline bool OrientationSwapsAxes(int orientation) { return orientation >= 5 && orientation <= 8; }

// Returns `image` turned upright according to an EXIF orientation (1 or out of range: unchanged).
// Matches OpenCV's own EXIF handling in cv::imread. May throw cv::Exception (callers convert).
cv::Mat ApplyOrientation(const cv::Mat& image, int orientation);

}  // namespace likeness::imageio::internal
