// Bytes -> pixels. Format by content (never by extension), EXIF orientation applied, pixel limit
// enforced from the header before any full decode, large JPEGs decoded at reduced scale on request.
#pragma once

#include <cstdint>
#include <filesystem>
#include <opencv2/core.hpp>
#include <span>
#include <string_view>
#include <vector>

#include "likeness/status.h"

namespace likeness::imageio {

enum class ImageFormat { kUnknown, kJpeg, kPng, kWebp, kBmp, kTiff, kPnm, kGif };

std::string_view FormatName(ImageFormat format);

// Identifies the format from the leading bytes. kUnknown when no known signature matches.
ImageFormat SniffFormat(std::span<const uint8_t> bytes);

struct ImageHeader {
  ImageFormat format = ImageFormat::kUnknown;
  int width = 0;  // as stored, before orientation
  int height = 0;
  // The EXIF orientation (1-8) that DecodeImage applies: from a JPEG APP1, PNG eXIf or WebP EXIF
  // block. 1 when there is none (and always 1 for TIFF, BMP, PNM and GIF). 5-8 swap width and
  // height.
  int orientation = 1;
};

// Reads the dimensions from the header only (cheap; no pixel decode). For GIF the size is the
// logical screen, grown to cover the first frame if that frame extends past it (as DecodeImage
// does). Errors: InvalidArgument for empty input, an unknown format or a truncated/malformed
// header.
Result<ImageHeader> ReadHeader(std::span<const uint8_t> bytes);

struct DecodeOptions {
  // Images whose header claims more pixels than this are refused (ResourceExhausted) before
  // decoding.
  int64_t max_pixels = 100'000'000;
  // If > 0, a JPEG whose longer side exceeds this is decoded at 1/2, 1/4 or 1/8 scale, choosing the
  // strongest reduction that keeps the longer side >= this value. 0 = always full scale.
  int reduce_above_side = 0;
};

struct DecodedImage {
  cv::Mat bgr;  // CV_8UC3, orientation applied
  ImageFormat format = ImageFormat::kUnknown;
  int original_width = 0;  // after orientation, at full scale
  int original_height = 0;
  double scale = 1.0;  // bgr pixels = original pixels * scale
};

// Decodes any supported format to 8-bit BGR: 16-bit is scaled down, grey is expanded, alpha is
// composited on white. GIF (first frame) goes through giflib; its transparent and uncovered pixels
// are white. The EXIF orientation in ImageHeader::orientation is applied (TIFF's own Orientation
// tag is not). A JPEG without an end-of-image marker after its first scan counts as truncated
// (libjpeg would pad it with grey). Errors: InvalidArgument (corrupt, truncated, not an image, zero
// bytes), ResourceExhausted (pixel limit), Unsupported (known but undecodable: lossless or
// hierarchical JPEG, animated WebP, signed or more-than-4-channel TIFF samples).
Result<DecodedImage> DecodeImage(std::span<const uint8_t> bytes, const DecodeOptions& options = {});

// Reads a whole file. Errors: NotFound, IOError, ResourceExhausted when larger than max_bytes.
Result<std::vector<uint8_t>> ReadFileBytes(const std::filesystem::path& path,
                                           uint64_t max_bytes = 512ull << 20);

}  // namespace likeness::imageio
