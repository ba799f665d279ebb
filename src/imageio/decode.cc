// DecodeImage: header checks first, then OpenCV (or giflib for GIF), then normalisation to 8-bit
// BGR and EXIF orientation. Also FormatName and ReadFileBytes.
#include "imageio/decode.h"

#include <algorithm>
#include <exception>
#include <fstream>
#include <limits>
#include <new>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>

#include "imageio/exif.h"
#include "imageio/gif_decoder.h"
#include "imageio/header_reader.h"

namespace likeness::imageio {
namespace {

// OpenCV's imgcodecs refuses (by throwing) images past these sizes unless overridden by environment
// variables; refusing them ourselves keeps the error a clean ResourceExhausted.
constexpr int64_t kOpenCvMaxSide = int64_t{1} << 20;
constexpr int64_t kOpenCvMaxPixels = int64_t{1} << 30;
constexpr double k16BitTo8Bit = 1.0 / 257.0;  // 65535 -> 255
constexpr double kUnitFloatTo8Bit = 255.0;    // float images are taken to span [0, 1]
constexpr int kOpaque = 255;

std::string Dims(int64_t width, int64_t height) {
  return std::to_string(width) + "x" + std::to_string(height);
}

Status CorruptOrTruncated(ImageFormat format) {
  return Status::InvalidArgument("corrupt or truncated " + std::string(FormatName(format)));
}

// Refuses a header whose pixel count is over the caller's limit or OpenCV's built-in one.
Status CheckPixelLimit(const ImageHeader& header, int64_t max_pixels) {
  const int64_t pixels = int64_t{header.width} * header.height;
  if (pixels > max_pixels) {
    return Status::ResourceExhausted(std::string(FormatName(header.format)) + " image is " +
                                     Dims(header.width, header.height) + " = " +
                                     std::to_string(pixels) + " pixels, over the limit of " +
                                     std::to_string(max_pixels) + " pixels");
  }
  if (header.format != ImageFormat::kGif &&
      (header.width > kOpenCvMaxSide || header.height > kOpenCvMaxSide ||
       pixels > kOpenCvMaxPixels)) {
    return Status::ResourceExhausted(std::string(FormatName(header.format)) + " image is " +
                                     Dims(header.width, header.height) +
                                     ", beyond what the OpenCV decoder accepts");
  }
  return Status::Ok();
}

// JPEG frames libjpeg-turbo 2.x cannot decode: lossless (SOF3, SOF7, SOF11, SOF15) and hierarchical
// (SOF5-SOF7, SOF13-SOF15).
bool IsUnsupportedJpegFrame(uint8_t sof) {
  return sof == 0xC3 || sof == 0xC5 || sof == 0xC6 || sof == 0xC7 || sof == 0xCB || sof == 0xCD ||
         sof == 0xCE || sof == 0xCF;
}

// True when an end-of-image marker follows the first scan. Entropy-coded data escapes 0xFF as FF 00
// and only RSTn/markers may follow a bare 0xFF, so FF D9 after the first scan is the real EOI.
// libjpeg pads a truncated file with grey and reports success, so this check is what catches
// truncation.
bool HasEndOfImage(std::span<const uint8_t> bytes, size_t scan_offset) {
  constexpr uint8_t kEoi[] = {0xFF, 0xD9};
  if (scan_offset == 0 || scan_offset >= bytes.size()) return false;
  const auto tail = bytes.subspan(scan_offset);
  return std::search(tail.begin(), tail.end(), std::begin(kEoi), std::end(kEoi)) != tail.end();
}

// The strongest JPEG DCT reduction (1, 2, 4 or 8) keeping the longer side >= reduce_above_side.
int JpegReduction(const ImageHeader& header, int reduce_above_side) {
  const int64_t longer = std::max(header.width, header.height);
  if (reduce_above_side <= 0 || longer <= reduce_above_side) return 1;
  for (const int denominator : {8, 4, 2}) {
    // libjpeg rounds a scaled dimension up.
    if ((longer + denominator - 1) / denominator >= reduce_above_side) return denominator;
  }
  return 1;
}

int JpegReadFlags(int denominator) {
  // IMREAD_IGNORE_ORIENTATION: we apply EXIF orientation ourselves, for every format alike.
  switch (denominator) {
    case 2:
      return cv::IMREAD_REDUCED_COLOR_2 | cv::IMREAD_IGNORE_ORIENTATION;
    case 4:
      return cv::IMREAD_REDUCED_COLOR_4 | cv::IMREAD_IGNORE_ORIENTATION;
    case 8:
      return cv::IMREAD_REDUCED_COLOR_8 | cv::IMREAD_IGNORE_ORIENTATION;
    default:
      return cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION;
  }
}

// Blends 8-bit grey+alpha or BGRA pixels over white.
cv::Mat CompositeOnWhite(const cv::Mat& image) {
  const int channels = image.channels();
  const int colour_channels = channels - 1;
  cv::Mat out(image.rows, image.cols, CV_8UC3);
  for (int y = 0; y < image.rows; ++y) {
    const uint8_t* in = image.ptr<uint8_t>(y);
    uint8_t* dst = out.ptr<uint8_t>(y);
    for (int x = 0; x < image.cols; ++x, in += channels, dst += 3) {
      const int alpha = in[colour_channels];
      for (int c = 0; c < 3; ++c) {
        const int value = in[colour_channels == 1 ? 0 : c];
        dst[c] = static_cast<uint8_t>((value * alpha + kOpaque * (kOpaque - alpha) + kOpaque / 2) /
                                      kOpaque);
      }
    }
  }
  return out;
}

// Converts whatever imdecode(IMREAD_UNCHANGED) produced into CV_8UC3 BGR.
Result<cv::Mat> ToBgr8(const cv::Mat& decoded, ImageFormat format) {
  cv::Mat eight_bit;
  switch (decoded.depth()) {
    case CV_8U:
      eight_bit = decoded;
      break;
    case CV_16U:
      decoded.convertTo(eight_bit, CV_8U, k16BitTo8Bit);
      break;
    case CV_32F:
    case CV_64F:
      decoded.convertTo(eight_bit, CV_8U, kUnitFloatTo8Bit);
      break;
    default:
      return Status::Unsupported(std::string(FormatName(format)) + " with signed integer samples");
  }
  cv::Mat bgr;
  switch (eight_bit.channels()) {
    case 1:
      cv::cvtColor(eight_bit, bgr, cv::COLOR_GRAY2BGR);
      return bgr;
    case 2:
    case 4:
      return CompositeOnWhite(eight_bit);
    case 3:
      return eight_bit;
    default:
      return Status::Unsupported(std::string(FormatName(format)) + " with " +
                                 std::to_string(eight_bit.channels()) + " channels");
  }
}

// The OpenCV part of DecodeImage; may throw (the caller converts).
Result<DecodedImage> DecodeWithOpenCv(std::span<const uint8_t> bytes,
                                      const internal::HeaderDetails& details,
                                      const DecodeOptions& options) {
  const ImageHeader& header = details.header;
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return Status::ResourceExhausted("encoded image of " + std::to_string(bytes.size()) +
                                     " bytes is too large to decode");
  }
  // imdecode only reads the buffer; the Mat header is needed to pass it without a copy.
  const cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8U,
                       const_cast<uint8_t*>(bytes.data()));
  DecodedImage out;
  out.format = header.format;
  if (header.format == ImageFormat::kJpeg) {
    if (IsUnsupportedJpegFrame(details.jpeg_sof_marker)) {
      return Status::Unsupported("lossless or hierarchical jpeg is not supported");
    }
    if (!HasEndOfImage(bytes, details.jpeg_scan_offset)) return CorruptOrTruncated(header.format);
    const int denominator = JpegReduction(header, options.reduce_above_side);
    const cv::Mat decoded = cv::imdecode(buffer, JpegReadFlags(denominator));
    if (decoded.empty() || decoded.type() != CV_8UC3) return CorruptOrTruncated(header.format);
    if (decoded.cols != (header.width + denominator - 1) / denominator ||
        decoded.rows != (header.height + denominator - 1) / denominator) {
      return Status::InvalidArgument(
          "corrupt jpeg: the decoder and the frame header disagree on size");
    }
    out.bgr = decoded;
    out.scale = 1.0 / denominator;
    out.original_width = header.width;
    out.original_height = header.height;
  } else {
    if (header.format == ImageFormat::kWebp && details.webp_animated) {
      return Status::Unsupported("animated webp is not supported");
    }
    const cv::Mat decoded = cv::imdecode(buffer, cv::IMREAD_UNCHANGED);
    if (decoded.empty()) return CorruptOrTruncated(header.format);
    ASSIGN_OR_RETURN(out.bgr, ToBgr8(decoded, header.format));
    out.original_width = out.bgr.cols;
    out.original_height = out.bgr.rows;
  }
  return out;
}

}  // namespace

std::string_view FormatName(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg:
      return "jpeg";
    case ImageFormat::kPng:
      return "png";
    case ImageFormat::kWebp:
      return "webp";
    case ImageFormat::kBmp:
      return "bmp";
    case ImageFormat::kTiff:
      return "tiff";
    case ImageFormat::kPnm:
      return "pnm";
    case ImageFormat::kGif:
      return "gif";
    case ImageFormat::kUnknown:
      break;
  }
  return "unknown";
}

Result<DecodedImage> DecodeImage(std::span<const uint8_t> bytes, const DecodeOptions& options) {
  if (bytes.empty()) return Status::InvalidArgument("empty file");
  if (SniffFormat(bytes) == ImageFormat::kUnknown) {
    return Status::InvalidArgument("not a recognised image format");
  }
  ASSIGN_OR_RETURN(const internal::HeaderDetails details, internal::ReadHeaderDetails(bytes));
  const ImageHeader& header = details.header;
  RETURN_IF_ERROR(CheckPixelLimit(header, options.max_pixels));
  try {
    DecodedImage out;
    if (header.format == ImageFormat::kGif) {
      ASSIGN_OR_RETURN(out.bgr, internal::DecodeGifFirstFrame(bytes, options.max_pixels));
      out.format = header.format;
      out.original_width = out.bgr.cols;
      out.original_height = out.bgr.rows;
    } else {
      ASSIGN_OR_RETURN(out, DecodeWithOpenCv(bytes, details, options));
    }
    // The decoder, not our header parser, has the last word on size: guard the limit again.
    const int64_t decoded_pixels = int64_t{out.original_width} * out.original_height;
    if (decoded_pixels > options.max_pixels) {
      return Status::ResourceExhausted(std::string(FormatName(header.format)) + " decoded to " +
                                       Dims(out.original_width, out.original_height) +
                                       ", over the limit of " + std::to_string(options.max_pixels) +
                                       " pixels");
    }
    if (header.orientation != 1) {
      out.bgr = internal::ApplyOrientation(out.bgr, header.orientation);
      if (internal::OrientationSwapsAxes(header.orientation)) {
        std::swap(out.original_width, out.original_height);
      }
    }
    return out;
  } catch (const cv::Exception& e) {
    return Status::InvalidArgument("corrupt " + std::string(FormatName(header.format)) +
                                   " (OpenCV: " + e.err + ")");
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted("out of memory decoding a " +
                                     Dims(header.width, header.height) + " " +
                                     std::string(FormatName(header.format)));
  } catch (const std::exception& e) {
    return Status::Internal("decoding " + std::string(FormatName(header.format)) + ": " + e.what());
  }
}

Result<std::vector<uint8_t>> ReadFileBytes(const std::filesystem::path& path, uint64_t max_bytes) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (!fs::exists(status)) {
    if (ec && ec != std::errc::no_such_file_or_directory) {
      return Status::IOError("cannot stat " + path.string() + ": " + ec.message());
    }
    return Status::NotFound("no such file: " + path.string());
  }
  if (fs::is_directory(status)) return Status::IOError(path.string() + " is a directory");
  const auto too_large = [&] {
    return Status::ResourceExhausted(path.string() + " is larger than the limit of " +
                                     std::to_string(max_bytes) + " bytes");
  };
  uintmax_t expected_size = 0;
  if (fs::is_regular_file(status)) {
    expected_size = fs::file_size(path, ec);
    if (ec) expected_size = 0;
    if (expected_size > max_bytes) return too_large();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot open " + path.string());
  // Read in chunks rather than trusting the size: the file may change, or be a pipe.
  constexpr size_t kChunk = size_t{1} << 20;
  std::vector<uint8_t> bytes;
  bytes.reserve(static_cast<size_t>(expected_size));
  while (in) {
    const size_t old_size = bytes.size();
    bytes.resize(old_size + kChunk);
    in.read(reinterpret_cast<char*>(bytes.data() + old_size), static_cast<std::streamsize>(kChunk));
    bytes.resize(old_size + static_cast<size_t>(in.gcount()));
    if (bytes.size() > max_bytes) return too_large();
  }
  if (in.bad()) return Status::IOError("read failed: " + path.string());
  return bytes;
}

}  // namespace likeness::imageio
