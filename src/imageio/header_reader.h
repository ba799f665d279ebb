// Header parsing for every supported format: dimensions plus the details DecodeImage needs before
// it commits to a full decode. Internal to the imageio module; the public face is ReadHeader in
// decode.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "imageio/decode.h"
#include "likeness/status.h"

namespace likeness::imageio::internal {

struct HeaderDetails {
  ImageHeader header;  // format, stored width/height, orientation
  // JPEG: the start-of-frame marker (0xC0-0xCF) that defines the image.
  uint8_t jpeg_sof_marker = 0;
  // JPEG: offset of the first start-of-scan marker's length field; 0 when the data ends before it.
  size_t jpeg_scan_offset = 0;
  // WebP: the VP8X header declares an animation.
  bool webp_animated = false;
  // The EXIF block (JPEG APP1, PNG eXIf, WebP EXIF), possibly "Exif\0\0"-prefixed; empty if none.
  std::span<const uint8_t> exif;
};

// Parses the header of `bytes` (format by signature). Errors: InvalidArgument for an unknown format
// and for a truncated or malformed header (including zero or out-of-range dimensions).
Result<HeaderDetails> ReadHeaderDetails(std::span<const uint8_t> bytes);

}  // namespace likeness::imageio::internal
