#include "imageio/exif.h"

#include <string>

#include "imageio/byte_reader.h"

namespace likeness::imageio::internal {
namespace {

constexpr uint16_t kTiffMagic = 42;
constexpr size_t kTiffHeaderSize = 8;
constexpr size_t kIfdEntrySize = 12;
constexpr uint16_t kTagImageWidth = 256;
constexpr uint16_t kTagImageLength = 257;
constexpr uint16_t kTagOrientation = 274;
constexpr uint16_t kTypeShort = 3;
constexpr uint16_t kTypeLong = 4;
constexpr std::string_view kExifPrefix{"Exif\0\0", 6};

}  // namespace

Result<TiffIfd0> ReadTiffIfd0(std::span<const uint8_t> tiff) {
  if (!Has(tiff, 0, kTiffHeaderSize)) return Status::InvalidArgument("truncated TIFF header");
  TiffOrder order;
  if (Matches(tiff, 0, "MM")) {
    order.big_endian = true;
  } else if (!Matches(tiff, 0, "II")) {
    return Status::InvalidArgument("malformed TIFF header: bad byte-order mark");
  }
  if (order.U16(tiff, 2) != kTiffMagic) {
    return Status::InvalidArgument("malformed TIFF header: bad magic number");
  }
  const size_t ifd = order.U32(tiff, 4);
  if (ifd < kTiffHeaderSize || !Has(tiff, ifd, 2)) {
    return Status::InvalidArgument("truncated TIFF: first IFD at offset " + std::to_string(ifd) +
                                   " lies outside the " + std::to_string(tiff.size()) +
                                   "-byte data");
  }
  const size_t count = order.U16(tiff, ifd);
  if (!Has(tiff, ifd + 2, count * kIfdEntrySize)) {
    return Status::InvalidArgument("truncated TIFF: IFD0 with " + std::to_string(count) +
                                   " entries runs past the end of the data");
  }
  TiffIfd0 out;
  for (size_t i = 0; i < count; ++i) {
    const size_t entry = ifd + 2 + i * kIfdEntrySize;
    const uint16_t tag = order.U16(tiff, entry);
    const uint16_t type = order.U16(tiff, entry + 2);
    const uint32_t n = order.U32(tiff, entry + 4);
    if (n < 1 || (type != kTypeShort && type != kTypeLong)) continue;
    // A single SHORT or LONG is stored left-justified in the 4-byte value field.
    const uint32_t value =
        type == kTypeShort ? order.U16(tiff, entry + 8) : order.U32(tiff, entry + 8);
    std::optional<uint32_t>* slot = nullptr;
    if (tag == kTagImageWidth) slot = &out.image_width;
    if (tag == kTagImageLength) slot = &out.image_length;
    if (tag == kTagOrientation) slot = &out.orientation;
    if (slot != nullptr && !slot->has_value()) *slot = value;  // the first occurrence wins
  }
  return out;
}

int ExifOrientation(std::span<const uint8_t> exif) {
  if (Matches(exif, 0, kExifPrefix)) exif = exif.subspan(kExifPrefix.size());
  const Result<TiffIfd0> ifd0 = ReadTiffIfd0(exif);
  if (!ifd0.ok() || !ifd0->orientation.has_value()) return 1;
  const uint32_t value = *ifd0->orientation;
  return value >= 1 && value <= 8 ? static_cast<int>(value) : 1;
}

cv::Mat ApplyOrientation(const cv::Mat& image, int orientation) {
  cv::Mat out;
  switch (orientation) {
    case 2:  // mirrored horizontally
      cv::flip(image, out, 1);
      return out;
    case 3:  // upside down
      cv::flip(image, out, -1);
      return out;
    case 4:  // mirrored vertically
      cv::flip(image, out, 0);
      return out;
    case 5:  // mirrored along the main diagonal
      cv::transpose(image, out);
      return out;
    case 6:  // stored rotated 90 degrees counter-clockwise: turn clockwise
      cv::rotate(image, out, cv::ROTATE_90_CLOCKWISE);
      return out;
    case 7:  // mirrored along the anti-diagonal
      cv::transpose(image, out);
      cv::flip(out, out, -1);
      return out;
    case 8:  // stored rotated 90 degrees clockwise: turn counter-clockwise
      cv::rotate(image, out, cv::ROTATE_90_COUNTERCLOCKWISE);
      return out;
    default:
      return image;
  }
}

}  // namespace likeness::imageio::internal
