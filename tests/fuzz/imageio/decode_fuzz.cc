// libFuzzer target for the imageio module: ReadHeader and DecodeImage must return a Status (never
// crash, hang or read out of bounds) for any input, and a successful decode is always 8-bit BGR.
//
// Built by CMake with -DLIKENESS_FUZZ=ON (scripts/test does, and runs it briefly); by hand:
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
//     -isystem /usr/include/opencv4 tests/fuzz/imageio/decode_fuzz.cc src/imageio/*.cc \
//     src/common/status.cc -lopencv_imgcodecs -lopencv_imgproc -lopencv_core -lgif -o decode_fuzz
// Run: ./decode_fuzz -max_total_time=30 -rss_limit_mb=2048 [corpus-dir]
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "imageio/decode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr int64_t kMaxPixels = 4'000'000;
  constexpr int kReduceAboveSide = 256;
  const std::span<const uint8_t> bytes(data, size);

  const likeness::Result<likeness::imageio::ImageHeader> header =
      likeness::imageio::ReadHeader(bytes);
  if (header.ok() && (header->width <= 0 || header->height <= 0)) std::abort();

  likeness::imageio::DecodeOptions options;
  options.max_pixels = kMaxPixels;
  // Exercise both the full-scale and the reduced-scale JPEG paths.
  options.reduce_above_side = (size % 2 == 0) ? 0 : kReduceAboveSide;
  const likeness::Result<likeness::imageio::DecodedImage> decoded =
      likeness::imageio::DecodeImage(bytes, options);
  if (decoded.ok()) {
    if (decoded->bgr.empty() || decoded->bgr.type() != CV_8UC3) std::abort();
    if (!header.ok()) std::abort();  // anything that decodes has a readable header
  }
  return 0;
}
