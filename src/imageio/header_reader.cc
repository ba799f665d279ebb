// Format sniffing and header parsing (no pixel decoding).
#include "imageio/header_reader.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <string>
#include <string_view>

#include "imageio/byte_reader.h"
#include "imageio/exif.h"

namespace likeness::imageio {
namespace internal {
namespace {

constexpr int64_t kMaxDimension = std::numeric_limits<int32_t>::max();

std::string Hex(uint32_t value) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%02X", value);
  return buf;
}

Status Truncated(ImageFormat format, std::string_view what) {
  return Status::InvalidArgument("truncated " + std::string(FormatName(format)) +
                                 " header: " + std::string(what));
}

Status Malformed(ImageFormat format, std::string_view what) {
  return Status::InvalidArgument("malformed " + std::string(FormatName(format)) +
                                 " header: " + std::string(what));
}

// Stores width x height into `d`, refusing zero, negative or out-of-range sizes.
Status SetDims(HeaderDetails& d, int64_t width, int64_t height) {
  if (width <= 0 || height <= 0 || width > kMaxDimension || height > kMaxDimension) {
    return Malformed(d.header.format,
                     "invalid dimensions " + std::to_string(width) + "x" + std::to_string(height));
  }
  d.header.width = static_cast<int>(width);
  d.header.height = static_cast<int>(height);
  return Status::Ok();
}

// ---- JPEG: walk the marker segments up to the first scan. ----

bool IsStartOfFrame(uint8_t marker) {
  // SOF0-SOF15 are 0xC0-0xCF except DHT (0xC4), JPG (0xC8) and DAC (0xCC).
  return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

Result<HeaderDetails> ReadJpeg(std::span<const uint8_t> b) {
  constexpr uint8_t kSoi = 0xD8, kEoi = 0xD9, kSos = 0xDA, kApp1 = 0xE1, kTem = 0x01;
  constexpr std::string_view kExif{"Exif\0\0", 6};
  HeaderDetails d;
  d.header.format = ImageFormat::kJpeg;
  bool have_frame = false;
  size_t pos = 2;  // after SOI
  while (pos < b.size()) {
    if (b[pos] != 0xFF) {
      return Malformed(d.header.format, "expected a marker at offset " + std::to_string(pos));
    }
    while (pos < b.size() && b[pos] == 0xFF) ++pos;  // fill bytes
    if (pos >= b.size()) break;
    const uint8_t marker = b[pos++];
    if (marker == kSoi || marker == kTem || (marker >= 0xD0 && marker <= 0xD7)) continue;
    if (marker == kEoi) break;
    if (marker == 0x00) return Malformed(d.header.format, "stray 0xFF00 outside a scan");
    if (!Has(b, pos, 2)) break;
    const size_t length = Be16(b, pos);
    if (length < 2) return Malformed(d.header.format, "segment length below 2");
    const size_t payload = pos + 2;
    const size_t payload_length = length - 2;
    if (marker == kSos) {
      if (!have_frame) return Malformed(d.header.format, "scan before the frame header");
      d.jpeg_scan_offset = pos;
      return d;
    }
    if (IsStartOfFrame(marker) && !have_frame) {
      // precision(1) height(2) width(2)
      if (payload_length < 5 || !Has(b, payload, 5)) break;
      const uint16_t height = Be16(b, payload + 1);
      const uint16_t width = Be16(b, payload + 3);
      if (height == 0) {
        return Status::InvalidArgument(
            "unsupported jpeg: the frame header defers its height to a DNL marker");
      }
      RETURN_IF_ERROR(SetDims(d, width, height));
      d.jpeg_sof_marker = marker;
      have_frame = true;
    }
    const bool complete = Has(b, payload, payload_length);
    if (marker == kApp1 && complete && d.exif.empty() && Matches(b, payload, kExif)) {
      d.exif = b.subspan(payload, payload_length);
    }
    if (!complete) break;
    pos = payload + payload_length;
  }
  if (!have_frame) return Truncated(d.header.format, "no start-of-frame (SOF) marker found");
  return d;  // the data ends before the first scan; DecodeImage reports it as truncated
}

// ---- PNG: IHDR must be the first chunk; look on for eXIf. ----

Result<HeaderDetails> ReadPng(std::span<const uint8_t> b) {
  constexpr size_t kIhdrData = 16, kChunkOverhead = 12;
  HeaderDetails d;
  d.header.format = ImageFormat::kPng;
  if (!Has(b, 8, 8 + 8)) return Truncated(d.header.format, "IHDR chunk cut short");
  if (Be32(b, 8) != 13 || !Matches(b, 12, "IHDR")) {
    return Malformed(d.header.format, "the first chunk is not a 13-byte IHDR");
  }
  RETURN_IF_ERROR(SetDims(d, Be32(b, kIhdrData), Be32(b, kIhdrData + 4)));
  for (size_t pos = 8 + kChunkOverhead + 13; Has(b, pos, 8);) {
    const size_t length = Be32(b, pos);
    if (Matches(b, pos + 4, "IEND")) break;
    if (Matches(b, pos + 4, "eXIf")) {
      if (Has(b, pos + 8, length)) d.exif = b.subspan(pos + 8, length);
      break;
    }
    if (!Has(b, pos, kChunkOverhead + length)) break;
    pos += kChunkOverhead + length;
  }
  return d;
}

// ---- WebP: RIFF container with a VP8, VP8L or VP8X first chunk. ----

Result<HeaderDetails> ReadWebp(std::span<const uint8_t> b) {
  constexpr size_t kChunk = 12, kPayload = 20;
  constexpr uint8_t kAnimationFlag = 0x02, kExifFlag = 0x08, kVp8lSignature = 0x2F;
  HeaderDetails d;
  d.header.format = ImageFormat::kWebp;
  if (!Has(b, kChunk, 8)) return Truncated(d.header.format, "no image chunk");
  if (Matches(b, kChunk, "VP8 ")) {
    // frame tag(3) start code 9D 01 2A, then 14-bit width and height (top 2 bits: scaling)
    if (!Has(b, kPayload, 10)) return Truncated(d.header.format, "VP8 frame header cut short");
    if (b[kPayload + 3] != 0x9D || b[kPayload + 4] != 0x01 || b[kPayload + 5] != 0x2A) {
      return Malformed(d.header.format, "bad VP8 start code");
    }
    RETURN_IF_ERROR(SetDims(d, Le16(b, kPayload + 6) & 0x3FFF, Le16(b, kPayload + 8) & 0x3FFF));
    return d;
  }
  if (Matches(b, kChunk, "VP8L")) {
    if (!Has(b, kPayload, 5)) return Truncated(d.header.format, "VP8L header cut short");
    if (b[kPayload] != kVp8lSignature) return Malformed(d.header.format, "bad VP8L signature");
    const uint32_t bits = Le32(b, kPayload + 1);
    RETURN_IF_ERROR(SetDims(d, (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1));
    return d;
  }
  if (Matches(b, kChunk, "VP8X")) {
    // flags(1) reserved(3) canvas width-1 (24 bits) canvas height-1 (24 bits)
    if (!Has(b, kPayload, 10)) return Truncated(d.header.format, "VP8X header cut short");
    const uint8_t flags = b[kPayload];
    RETURN_IF_ERROR(
        SetDims(d, int64_t{Le24(b, kPayload + 4)} + 1, int64_t{Le24(b, kPayload + 7)} + 1));
    d.webp_animated = (flags & kAnimationFlag) != 0;
    if ((flags & kExifFlag) != 0) {
      for (size_t pos = kChunk; Has(b, pos, 8);) {
        const size_t size = Le32(b, pos + 4);
        if (Matches(b, pos, "EXIF")) {
          if (Has(b, pos + 8, size)) d.exif = b.subspan(pos + 8, size);
          break;
        }
        const size_t padded = size + (size & 1);
        if (!Has(b, pos + 8, padded)) break;
        pos += 8 + padded;
      }
    }
    return d;
  }
  return Malformed(d.header.format, "the first chunk is not VP8, VP8L or VP8X");
}

// ---- BMP: BITMAPFILEHEADER then a core (12-byte) or info (>= 36-byte) header. ----

Result<HeaderDetails> ReadBmp(std::span<const uint8_t> b) {
  constexpr size_t kDib = 14;
  constexpr uint32_t kCoreHeader = 12, kMinInfoHeader = 36;
  HeaderDetails d;
  d.header.format = ImageFormat::kBmp;
  if (!Has(b, 0, kDib + 12)) return Truncated(d.header.format, "bitmap header cut short");
  const uint32_t dib_size = Le32(b, kDib);
  if (dib_size == kCoreHeader) {
    RETURN_IF_ERROR(SetDims(d, Le16(b, kDib + 4), Le16(b, kDib + 6)));
    return d;
  }
  if (dib_size < kMinInfoHeader) {
    return Malformed(d.header.format, "unsupported bitmap header size " + std::to_string(dib_size));
  }
  const auto width = static_cast<int32_t>(Le32(b, kDib + 4));
  const auto height = static_cast<int32_t>(Le32(b, kDib + 8));  // negative: stored top-down
  RETURN_IF_ERROR(SetDims(d, width, height < 0 ? -int64_t{height} : int64_t{height}));
  return d;
}

// ---- TIFF: ImageWidth and ImageLength from IFD0. ----

Result<HeaderDetails> ReadTiff(std::span<const uint8_t> b) {
  HeaderDetails d;
  d.header.format = ImageFormat::kTiff;
  ASSIGN_OR_RETURN(const TiffIfd0 ifd0, ReadTiffIfd0(b));
  if (!ifd0.image_width || !ifd0.image_length) {
    return Malformed(d.header.format, "IFD0 lacks ImageWidth or ImageLength");
  }
  RETURN_IF_ERROR(SetDims(d, *ifd0.image_width, *ifd0.image_length));
  return d;
}

// ---- PNM: "P<n>" then ASCII width, height and (except bitmaps) maxval, with # comments. ----

bool IsPnmSpace(uint8_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// Reads one ASCII number after whitespace and comments; it must be followed by one more byte.
Result<int64_t> ReadPnmNumber(std::span<const uint8_t> b, size_t& pos, std::string_view what) {
  while (pos < b.size() && (IsPnmSpace(b[pos]) || b[pos] == '#')) {
    if (b[pos] == '#') {
      while (pos < b.size() && b[pos] != '\n' && b[pos] != '\r') ++pos;
    } else {
      ++pos;
    }
  }
  if (pos >= b.size()) return Truncated(ImageFormat::kPnm, std::string(what) + " missing");
  if (b[pos] < '0' || b[pos] > '9') {
    return Malformed(ImageFormat::kPnm, "expected a number for " + std::string(what));
  }
  int64_t value = 0;
  for (; pos < b.size() && b[pos] >= '0' && b[pos] <= '9'; ++pos) {
    value = value * 10 + (b[pos] - '0');
    if (value > kMaxDimension)
      return Malformed(ImageFormat::kPnm, std::string(what) + " too large");
  }
  if (pos >= b.size()) return Truncated(ImageFormat::kPnm, std::string(what) + " cut short");
  return value;
}

Result<HeaderDetails> ReadPnm(std::span<const uint8_t> b) {
  constexpr int64_t kMaxSampleValue = 65535;
  HeaderDetails d;
  d.header.format = ImageFormat::kPnm;
  size_t pos = 2;
  ASSIGN_OR_RETURN(const int64_t width, ReadPnmNumber(b, pos, "width"));
  ASSIGN_OR_RETURN(const int64_t height, ReadPnmNumber(b, pos, "height"));
  RETURN_IF_ERROR(SetDims(d, width, height));
  const bool bitmap = b[1] == '1' || b[1] == '4';
  if (!bitmap) {
    ASSIGN_OR_RETURN(const int64_t max_value, ReadPnmNumber(b, pos, "maximum value"));
    if (max_value < 1 || max_value > kMaxSampleValue) {
      return Malformed(d.header.format,
                       "maximum value " + std::to_string(max_value) + " outside 1-65535");
    }
  }
  return d;
}

// ---- GIF: logical screen, extended to cover the first image's frame. ----

Result<HeaderDetails> ReadGif(std::span<const uint8_t> b) {
  constexpr size_t kScreenDescriptor = 13, kImageDescriptor = 10;
  constexpr uint8_t kExtension = 0x21, kImage = 0x2C, kTrailer = 0x3B, kColorTableFlag = 0x80;
  HeaderDetails d;
  d.header.format = ImageFormat::kGif;
  if (!Has(b, 0, kScreenDescriptor))
    return Truncated(d.header.format, "screen descriptor cut short");
  const int64_t screen_width = Le16(b, 6), screen_height = Le16(b, 8);
  const uint8_t packed = b[10];
  size_t pos = kScreenDescriptor;
  if ((packed & kColorTableFlag) != 0) pos += size_t{3} << ((packed & 0x07) + 1);
  while (true) {
    if (!Has(b, pos, 1)) return Truncated(d.header.format, "no image descriptor");
    const uint8_t block = b[pos];
    if (block == kTrailer) return Status::InvalidArgument("gif contains no image");
    if (block == kExtension) {
      pos += 2;  // introducer and label, then data sub-blocks up to a zero length
      while (true) {
        if (!Has(b, pos, 1)) return Truncated(d.header.format, "extension block cut short");
        const size_t length = b[pos++];
        if (length == 0) break;
        pos += length;
      }
      continue;
    }
    if (block != kImage) {
      return Malformed(d.header.format,
                       "unexpected block " + Hex(block) + " at offset " + std::to_string(pos));
    }
    if (!Has(b, pos, kImageDescriptor))
      return Truncated(d.header.format, "image descriptor cut short");
    const int64_t right = int64_t{Le16(b, pos + 1)} + Le16(b, pos + 5);
    const int64_t bottom = int64_t{Le16(b, pos + 3)} + Le16(b, pos + 7);
    RETURN_IF_ERROR(SetDims(d, std::max(screen_width, right), std::max(screen_height, bottom)));
    return d;
  }
}

}  // namespace

Result<HeaderDetails> ReadHeaderDetails(std::span<const uint8_t> bytes) {
  Result<HeaderDetails> details = Status::InvalidArgument("not a recognised image format");
  switch (SniffFormat(bytes)) {
    case ImageFormat::kJpeg:
      details = ReadJpeg(bytes);
      break;
    case ImageFormat::kPng:
      details = ReadPng(bytes);
      break;
    case ImageFormat::kWebp:
      details = ReadWebp(bytes);
      break;
    case ImageFormat::kBmp:
      details = ReadBmp(bytes);
      break;
    case ImageFormat::kTiff:
      details = ReadTiff(bytes);
      break;
    case ImageFormat::kPnm:
      details = ReadPnm(bytes);
      break;
    case ImageFormat::kGif:
      details = ReadGif(bytes);
      break;
    case ImageFormat::kUnknown:
      break;
  }
  if (details.ok()) details->header.orientation = ExifOrientation(details->exif);
  return details;
}

}  // namespace internal

ImageFormat SniffFormat(std::span<const uint8_t> bytes) {
  using internal::Has;
  using internal::Matches;
  if (Has(bytes, 0, 3) && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF) {
    return ImageFormat::kJpeg;
  }
  if (Matches(bytes, 0, "\x89PNG\r\n\x1A\n")) return ImageFormat::kPng;
  if (Matches(bytes, 0, "RIFF") && Matches(bytes, 8, "WEBP")) return ImageFormat::kWebp;
  if (Matches(bytes, 0, "BM")) return ImageFormat::kBmp;
  if (Matches(bytes, 0, std::string_view("II*\0", 4)) ||
      Matches(bytes, 0, std::string_view("MM\0*", 4))) {
    return ImageFormat::kTiff;
  }
  if (Has(bytes, 0, 3) && bytes[0] == 'P' && bytes[1] >= '1' && bytes[1] <= '6' &&
      internal::IsPnmSpace(bytes[2])) {
    return ImageFormat::kPnm;
  }
  if (Matches(bytes, 0, "GIF87a") || Matches(bytes, 0, "GIF89a")) return ImageFormat::kGif;
  return ImageFormat::kUnknown;
}

Result<ImageHeader> ReadHeader(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return Status::InvalidArgument("empty file");
  ASSIGN_OR_RETURN(const internal::HeaderDetails details, internal::ReadHeaderDetails(bytes));
  return details.header;
}

}  // namespace likeness::imageio
