#include <gif_lib.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "imageio/decode.h"
#include "testing/test_env.h"

namespace likeness::imageio {
namespace {

using Bytes = std::vector<uint8_t>;

const cv::Vec3b kRed(0, 0, 255);
const cv::Vec3b kGreen(0, 255, 0);
const cv::Vec3b kBlue(255, 0, 0);
const cv::Vec3b kYellow(0, 255, 255);
const cv::Vec3b kWhite(255, 255, 255);
constexpr int kLossyTolerance = 40;

// ---- Building test images ----

// Quadrants: red top-left, green top-right, blue bottom-left, yellow bottom-right.
cv::Mat Pattern(int width, int height) {
  cv::Mat m(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const bool right = x >= width / 2, bottom = y >= height / 2;
      m.at<cv::Vec3b>(y, x) = bottom ? (right ? kYellow : kBlue) : (right ? kGreen : kRed);
    }
  }
  return m;
}

Bytes Encode(const cv::Mat& image, const std::string& ext, const std::vector<int>& params = {}) {
  Bytes out;
  EXPECT_TRUE(cv::imencode(ext, image, out, params)) << ext;
  return out;
}

void PutBe16(Bytes& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}
void AppendBe32(Bytes& b, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<uint8_t>(v >> shift));
}
void AppendLe32(Bytes& b, uint32_t v) {
  for (int shift = 0; shift <= 24; shift += 8) b.push_back(static_cast<uint8_t>(v >> shift));
}
void AppendLe24(Bytes& b, uint32_t v) {
  for (int shift = 0; shift <= 16; shift += 8) b.push_back(static_cast<uint8_t>(v >> shift));
}
void Append(Bytes& b, std::string_view s) { b.insert(b.end(), s.begin(), s.end()); }

uint32_t Crc32(const uint8_t* data, size_t n) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    crc ^= data[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

// A PNG chunk: length, type, data, CRC over type + data.
Bytes PngChunk(std::string_view type, const Bytes& data) {
  Bytes chunk;
  AppendBe32(chunk, static_cast<uint32_t>(data.size()));
  Append(chunk, type);
  chunk.insert(chunk.end(), data.begin(), data.end());
  AppendBe32(chunk, Crc32(chunk.data() + 4, chunk.size() - 4));
  return chunk;
}

// A big-endian TIFF structure holding only IFD0 { Orientation = orientation }.
Bytes ExifTiff(int orientation, bool big_endian) {
  Bytes t;
  auto u16 = [&](uint16_t v) {
    if (big_endian) {
      t.push_back(static_cast<uint8_t>(v >> 8));
      t.push_back(static_cast<uint8_t>(v));
    } else {
      t.push_back(static_cast<uint8_t>(v));
      t.push_back(static_cast<uint8_t>(v >> 8));
    }
  };
  auto u32 = [&](uint32_t v) { big_endian ? AppendBe32(t, v) : AppendLe32(t, v); };
  Append(t, big_endian ? "MM" : "II");
  u16(42);
  u32(8);
  u16(1);    // one entry
  u16(274);  // Orientation
  u16(3);    // SHORT
  u32(1);
  u16(static_cast<uint16_t>(orientation));
  u16(0);
  u32(0);  // no next IFD
  return t;
}

// Inserts an APP1 "Exif" segment right after the JPEG's SOI marker.
Bytes WithExifOrientation(const Bytes& jpeg, int orientation, bool big_endian = true) {
  Bytes payload;
  Append(payload, std::string_view("Exif\0\0", 6));
  const Bytes tiff = ExifTiff(orientation, big_endian);
  payload.insert(payload.end(), tiff.begin(), tiff.end());
  Bytes segment = {0xFF, 0xE1, 0, 0};
  PutBe16(segment, 2, static_cast<uint16_t>(payload.size() + 2));
  segment.insert(segment.end(), payload.begin(), payload.end());
  Bytes out(jpeg.begin(), jpeg.begin() + 2);
  out.insert(out.end(), segment.begin(), segment.end());
  out.insert(out.end(), jpeg.begin() + 2, jpeg.end());
  return out;
}

// Offset of the first SOFn segment's marker in a JPEG.
size_t FindSof(const Bytes& jpeg) {
  for (size_t i = 2; i + 1 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xFF && (jpeg[i + 1] == 0xC0 || jpeg[i + 1] == 0xC2)) return i;
  }
  ADD_FAILURE() << "no SOF";
  return 0;
}

int WriteToVector(GifFileType* gif, const GifByteType* data, int length) {
  static_cast<Bytes*>(gif->UserData)
      ->insert(static_cast<Bytes*>(gif->UserData)->end(), data, data + length);
  return length;
}

struct GifSpec {
  int screen_width = 0, screen_height = 0;
  int left = 0, top = 0, width = 0, height = 0;
  std::vector<uint8_t> indices;  // width * height palette indices, row-major
  int transparent = NO_TRANSPARENT_COLOR;
  bool interlace = false;
  bool local_map = false;  // put the palette on the image instead of the screen
};

// Writes a one-frame GIF with the palette red, green, blue, yellow.
Bytes MakeGif(const GifSpec& spec) {
  Bytes out;
  int error = 0;
  GifFileType* gif = EGifOpen(&out, WriteToVector, &error);
  EXPECT_NE(gif, nullptr);
  if (gif == nullptr) return out;
  EGifSetGifVersion(gif, true);
  const GifColorType colors[4] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 0}};
  ColorMapObject* map = GifMakeMapObject(4, colors);
  EXPECT_EQ(EGifPutScreenDesc(gif, spec.screen_width, spec.screen_height, 8, 0,
                              spec.local_map ? nullptr : map),
            GIF_OK);
  if (spec.transparent != NO_TRANSPARENT_COLOR) {
    GraphicsControlBlock gcb{};
    gcb.DisposalMode = DISPOSAL_UNSPECIFIED;
    gcb.TransparentColor = spec.transparent;
    GifByteType ext[4];
    const size_t n = EGifGCBToExtension(&gcb, ext);
    EXPECT_EQ(EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, static_cast<int>(n), ext), GIF_OK);
  }
  EXPECT_EQ(EGifPutImageDesc(gif, spec.left, spec.top, spec.width, spec.height, spec.interlace,
                             spec.local_map ? map : nullptr),
            GIF_OK);
  std::vector<int> rows;
  if (spec.interlace) {
    for (const auto& [start, step] : {std::pair{0, 8}, {4, 8}, {2, 4}, {1, 2}}) {
      for (int r = start; r < spec.height; r += step) rows.push_back(r);
    }
  } else {
    for (int r = 0; r < spec.height; ++r) rows.push_back(r);
  }
  std::vector<GifPixelType> line(static_cast<size_t>(spec.width));
  for (const int r : rows) {
    std::memcpy(line.data(), spec.indices.data() + static_cast<size_t>(r) * spec.width,
                line.size());
    EXPECT_EQ(EGifPutLine(gif, line.data(), spec.width), GIF_OK);
  }
  EXPECT_EQ(EGifCloseFile(gif, &error), GIF_OK);
  GifFreeMapObject(map);
  return out;
}

// A width x height GIF with the quadrant pattern (palette indices 0-3).
GifSpec PatternGif(int width, int height) {
  GifSpec spec;
  spec.screen_width = spec.width = width;
  spec.screen_height = spec.height = height;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      spec.indices.push_back(static_cast<uint8_t>((y >= height / 2 ? 2 : 0) + (x >= width / 2)));
    }
  }
  return spec;
}

// A big-endian, uncompressed, 8-bit grey TIFF written by hand.
Bytes MakeBigEndianGreyTiff(int width, int height, uint8_t value) {
  struct Entry {
    uint16_t tag, type;
    uint32_t value;
  };
  const uint32_t data_offset = 8 + 2 + 9 * 12 + 4;
  const uint32_t data_size = static_cast<uint32_t>(width * height);
  const Entry entries[] = {{256, 3, static_cast<uint32_t>(width)},
                           {257, 3, static_cast<uint32_t>(height)},
                           {258, 3, 8},
                           {259, 3, 1},
                           {262, 3, 1},
                           {273, 4, data_offset},
                           {277, 3, 1},
                           {278, 3, static_cast<uint32_t>(height)},
                           {279, 4, data_size}};
  Bytes t;
  Append(t, "MM");
  t.push_back(0);
  t.push_back(42);
  AppendBe32(t, 8);
  t.push_back(0);
  t.push_back(9);
  for (const Entry& e : entries) {
    t.push_back(static_cast<uint8_t>(e.tag >> 8));
    t.push_back(static_cast<uint8_t>(e.tag));
    t.push_back(0);
    t.push_back(static_cast<uint8_t>(e.type));
    AppendBe32(t, 1);
    AppendBe32(t, e.type == 3 ? e.value << 16 : e.value);  // SHORTs are left-justified
  }
  AppendBe32(t, 0);
  t.insert(t.end(), data_size, value);
  return t;
}

// Wraps a VP8L or VP8 WebP into a VP8X container with an EXIF chunk.
Bytes WebpWithExif(const Bytes& simple_webp, int width, int height, const Bytes& exif) {
  Bytes body;
  Append(body, "WEBP");
  Append(body, "VP8X");
  AppendLe32(body, 10);
  body.push_back(0x08);  // EXIF flag
  body.insert(body.end(), 3, 0);
  AppendLe24(body, static_cast<uint32_t>(width - 1));
  AppendLe24(body, static_cast<uint32_t>(height - 1));
  body.insert(body.end(), simple_webp.begin() + 12, simple_webp.end());
  Append(body, "EXIF");
  AppendLe32(body, static_cast<uint32_t>(exif.size()));
  body.insert(body.end(), exif.begin(), exif.end());
  if (exif.size() % 2 == 1) body.push_back(0);
  Bytes out;
  Append(out, "RIFF");
  AppendLe32(out, static_cast<uint32_t>(body.size()));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

// ---- Checking results ----

bool Near(const cv::Vec3b& a, const cv::Vec3b& b, int tolerance) {
  for (int c = 0; c < 3; ++c) {
    if (std::abs(int{a[c]} - int{b[c]}) > tolerance) return false;
  }
  return true;
}

// The quadrant pattern at the given size, checked at each quadrant's centre.
void ExpectPattern(const cv::Mat& bgr, int width, int height, int tolerance) {
  ASSERT_EQ(bgr.type(), CV_8UC3);
  ASSERT_EQ(bgr.cols, width);
  ASSERT_EQ(bgr.rows, height);
  const auto at = [&](double fx, double fy) {
    return bgr.at<cv::Vec3b>(static_cast<int>(fy * height), static_cast<int>(fx * width));
  };
  EXPECT_TRUE(Near(at(0.25, 0.25), kRed, tolerance)) << at(0.25, 0.25);
  EXPECT_TRUE(Near(at(0.75, 0.25), kGreen, tolerance)) << at(0.75, 0.25);
  EXPECT_TRUE(Near(at(0.25, 0.75), kBlue, tolerance)) << at(0.25, 0.75);
  EXPECT_TRUE(Near(at(0.75, 0.75), kYellow, tolerance)) << at(0.75, 0.75);
}

bool SameImage(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

struct Sample {
  std::string name;
  Bytes bytes;
  ImageFormat format;
  int tolerance;
};

constexpr int kWidth = 64, kHeight = 48;

std::vector<Sample> AllFormats() {
  const cv::Mat p = Pattern(kWidth, kHeight);
  cv::Mat grey_pattern;
  return {
      {"jpeg", Encode(p, ".jpg"), ImageFormat::kJpeg, kLossyTolerance},
      {"progressive-jpeg", Encode(p, ".jpg", {cv::IMWRITE_JPEG_PROGRESSIVE, 1}), ImageFormat::kJpeg,
       kLossyTolerance},
      {"png", Encode(p, ".png"), ImageFormat::kPng, 0},
      {"webp-vp8", Encode(p, ".webp", {cv::IMWRITE_WEBP_QUALITY, 90}), ImageFormat::kWebp,
       kLossyTolerance},
      {"webp-vp8l", Encode(p, ".webp", {cv::IMWRITE_WEBP_QUALITY, 101}), ImageFormat::kWebp, 0},
      {"bmp", Encode(p, ".bmp"), ImageFormat::kBmp, 0},
      {"tiff", Encode(p, ".tiff"), ImageFormat::kTiff, 0},
      {"ppm", Encode(p, ".ppm"), ImageFormat::kPnm, 0},
      {"ascii-ppm", Encode(p, ".ppm", {cv::IMWRITE_PXM_BINARY, 0}), ImageFormat::kPnm, 0},
      {"gif", MakeGif(PatternGif(kWidth, kHeight)), ImageFormat::kGif, 0},
  };
}

// ---- Format detection and headers ----

TEST(SniffFormatTest, RecognisesSignaturesAndNothingElse) {
  for (const Sample& s : AllFormats()) EXPECT_EQ(SniffFormat(s.bytes), s.format) << s.name;
  const auto sniff = [](std::string_view text) {
    return SniffFormat({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
  };
  EXPECT_EQ(sniff(std::string_view("MM\0*", 4)), ImageFormat::kTiff);
  EXPECT_EQ(sniff("P1\n1 1\n0\n"), ImageFormat::kPnm);
  EXPECT_EQ(sniff("GIF87a"), ImageFormat::kGif);
  EXPECT_EQ(sniff("P7\n"), ImageFormat::kUnknown);  // PAM is not PNM
  EXPECT_EQ(sniff("RIFF\0\0\0\0WAVE"), ImageFormat::kUnknown);
  EXPECT_EQ(sniff("hello"), ImageFormat::kUnknown);
  EXPECT_EQ(sniff(""), ImageFormat::kUnknown);
}

TEST(ReadHeaderTest, MatchesTheRealSizeForEveryFormat) {
  for (const Sample& s : AllFormats()) {
    const Result<ImageHeader> h = ReadHeader(s.bytes);
    ASSERT_TRUE(h.ok()) << s.name << ": " << h.status().ToString();
    EXPECT_EQ(h->format, s.format) << s.name;
    EXPECT_EQ(h->width, kWidth) << s.name;
    EXPECT_EQ(h->height, kHeight) << s.name;
    EXPECT_EQ(h->orientation, 1) << s.name;
  }
}

TEST(ReadHeaderTest, WebpVariantsAndGreyFormats) {
  cv::Mat bgra(30, 50, CV_8UC4, cv::Scalar(10, 20, 30, 128));
  const Bytes vp8x = Encode(bgra, ".webp", {cv::IMWRITE_WEBP_QUALITY, 50});
  ASSERT_EQ(std::string(vp8x.begin() + 12, vp8x.begin() + 16), "VP8X");
  Result<ImageHeader> h = ReadHeader(vp8x);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->width, 50);
  EXPECT_EQ(h->height, 30);

  cv::Mat grey(17, 23, CV_8UC1, cv::Scalar(77));
  for (const std::string ext : {".pgm", ".png", ".tiff", ".jpg"}) {
    h = ReadHeader(Encode(grey, ext));
    ASSERT_TRUE(h.ok()) << ext << ": " << h.status().ToString();
    EXPECT_EQ(h->width, 23) << ext;
    EXPECT_EQ(h->height, 17) << ext;
  }
  h = ReadHeader(MakeBigEndianGreyTiff(7, 5, 9));
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->width, 7);
  EXPECT_EQ(h->height, 5);
}

TEST(ReadHeaderTest, PnmCommentsAndBitmaps) {
  const std::string pgm =
      "P5\n# a comment\n3 # width\n2\n# another\n255\n" + std::string(6, '\x40');
  const Bytes bytes(pgm.begin(), pgm.end());
  const Result<ImageHeader> h = ReadHeader(bytes);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->width, 3);
  EXPECT_EQ(h->height, 2);
  const Result<DecodedImage> d = DecodeImage(bytes);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->bgr.at<cv::Vec3b>(1, 2), cv::Vec3b(0x40, 0x40, 0x40));

  const std::string pbm = "P1\n2 2\n1 0\n0 1\n";
  const Result<DecodedImage> bitmap = DecodeImage(Bytes(pbm.begin(), pbm.end()));
  ASSERT_TRUE(bitmap.ok()) << bitmap.status().ToString();
  EXPECT_EQ(bitmap->bgr.size(), cv::Size(2, 2));
  EXPECT_EQ(bitmap->bgr.at<cv::Vec3b>(0, 0), cv::Vec3b(0, 0, 0));  // 1 is black
  EXPECT_EQ(bitmap->bgr.at<cv::Vec3b>(0, 1), kWhite);
}

TEST(ReadHeaderTest, ReportsStoredSizeAndExifOrientation) {
  const Bytes jpeg = WithExifOrientation(Encode(Pattern(80, 40), ".jpg"), 6);
  const Result<ImageHeader> h = ReadHeader(jpeg);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->width, 80);
  EXPECT_EQ(h->height, 40);
  EXPECT_EQ(h->orientation, 6);
}

TEST(ReadHeaderTest, TruncatedOrGarbageHeadersAreInvalidArgument) {
  for (const Sample& s : AllFormats()) {
    for (const size_t cut : {size_t{0}, size_t{1}, size_t{2}, size_t{3}, size_t{6}, size_t{9}}) {
      const Result<ImageHeader> h = ReadHeader(std::span(s.bytes).first(cut));
      ASSERT_FALSE(h.ok()) << s.name << " cut at " << cut;
      EXPECT_EQ(h.status().code(), StatusCode::kInvalidArgument) << s.name << " cut at " << cut;
      EXPECT_FALSE(h.status().message().empty());
    }
  }
  const std::string text = "P6\nwidth height\n";
  const Result<ImageHeader> h = ReadHeader(Bytes(text.begin(), text.end()));
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), StatusCode::kInvalidArgument);
}

// ---- Decoding every format ----

TEST(DecodeImageTest, EveryFormatDecodesToBgrWithTheRightColours) {
  for (const Sample& s : AllFormats()) {
    SCOPED_TRACE(s.name);
    const Result<DecodedImage> d = DecodeImage(s.bytes);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_EQ(d->format, s.format);
    EXPECT_EQ(d->original_width, kWidth);
    EXPECT_EQ(d->original_height, kHeight);
    EXPECT_EQ(d->scale, 1.0);
    ExpectPattern(d->bgr, kWidth, kHeight, s.tolerance);
  }
}

TEST(DecodeImageTest, WebpNamedJpgIsDecodedAsWebp) {
  testing::TempDir dir;
  const auto path = dir.path() / "face.jpg";
  const Bytes webp = Encode(Pattern(kWidth, kHeight), ".webp", {cv::IMWRITE_WEBP_QUALITY, 90});
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(webp.data()), static_cast<std::streamsize>(webp.size()));
  const Result<Bytes> bytes = ReadFileBytes(path);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_EQ(*bytes, webp);
  const Result<DecodedImage> d = DecodeImage(*bytes);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->format, ImageFormat::kWebp);
  ExpectPattern(d->bgr, kWidth, kHeight, kLossyTolerance);
}

TEST(DecodeImageTest, SixteenBitPngIsScaledToEightBit) {
  const cv::Mat sixteen(10, 12, CV_16UC3, cv::Scalar(0, 128 * 257, 65535));
  const Result<DecodedImage> d = DecodeImage(Encode(sixteen, ".png"));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_EQ(d->bgr.type(), CV_8UC3);
  EXPECT_EQ(d->bgr.at<cv::Vec3b>(5, 5), cv::Vec3b(0, 128, 255));
}

TEST(DecodeImageTest, SixteenBitGreyPgm) {
  const cv::Mat sixteen(6, 4, CV_16UC1, cv::Scalar(100 * 257));
  const Result<DecodedImage> d = DecodeImage(Encode(sixteen, ".pgm"));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->bgr.at<cv::Vec3b>(3, 2), cv::Vec3b(100, 100, 100));
}

TEST(DecodeImageTest, AlphaIsCompositedOnWhite) {
  cv::Mat bgra(4, 4, CV_8UC4, cv::Scalar(0, 0, 255, 255));
  bgra.at<cv::Vec4b>(0, 0) = cv::Vec4b(0, 0, 0, 0);      // fully transparent black
  bgra.at<cv::Vec4b>(0, 1) = cv::Vec4b(0, 0, 255, 128);  // half-transparent red
  for (const std::string ext : {".png", ".tiff"}) {
    SCOPED_TRACE(ext);
    const Result<DecodedImage> d = DecodeImage(Encode(bgra, ext));
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    ASSERT_EQ(d->bgr.type(), CV_8UC3);
    EXPECT_EQ(d->bgr.at<cv::Vec3b>(0, 0), kWhite);
    EXPECT_TRUE(Near(d->bgr.at<cv::Vec3b>(0, 1), cv::Vec3b(127, 127, 255), 1))
        << d->bgr.at<cv::Vec3b>(0, 1);
    EXPECT_EQ(d->bgr.at<cv::Vec3b>(3, 3), kRed);
  }
  const Result<DecodedImage> webp =
      DecodeImage(Encode(bgra, ".webp", {cv::IMWRITE_WEBP_QUALITY, 101}));
  ASSERT_TRUE(webp.ok()) << webp.status().ToString();
  EXPECT_EQ(webp->bgr.at<cv::Vec3b>(0, 0), kWhite);
}

TEST(DecodeImageTest, GreyImagesAreExpandedToBgr) {
  const cv::Mat grey(9, 11, CV_8UC1, cv::Scalar(77));
  for (const std::string ext : {".pgm", ".png", ".jpg", ".bmp"}) {
    SCOPED_TRACE(ext);
    const Result<DecodedImage> d = DecodeImage(Encode(grey, ext));
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    ASSERT_EQ(d->bgr.type(), CV_8UC3);
    EXPECT_EQ(d->bgr.size(), cv::Size(11, 9));
    EXPECT_TRUE(Near(d->bgr.at<cv::Vec3b>(4, 5), cv::Vec3b(77, 77, 77), 2));
  }
  const Result<DecodedImage> tiff = DecodeImage(MakeBigEndianGreyTiff(7, 5, 9));
  ASSERT_TRUE(tiff.ok()) << tiff.status().ToString();
  EXPECT_EQ(tiff->bgr.size(), cv::Size(7, 5));
  EXPECT_EQ(tiff->bgr.at<cv::Vec3b>(4, 6), cv::Vec3b(9, 9, 9));
}

// ---- EXIF orientation ----

TEST(OrientationTest, JpegOrientationSixIsRotatedClockwise) {
  const Bytes jpeg = WithExifOrientation(Encode(Pattern(80, 40), ".jpg"), 6);
  const Result<DecodedImage> d = DecodeImage(jpeg);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->original_width, 40);
  EXPECT_EQ(d->original_height, 80);
  ASSERT_EQ(d->bgr.size(), cv::Size(40, 80));
  // Turned clockwise, the stored top-left (red) quadrant is now top-right, blue is top-left.
  EXPECT_TRUE(Near(d->bgr.at<cv::Vec3b>(20, 30), kRed, kLossyTolerance));
  EXPECT_TRUE(Near(d->bgr.at<cv::Vec3b>(20, 10), kBlue, kLossyTolerance));
  EXPECT_TRUE(Near(d->bgr.at<cv::Vec3b>(60, 30), kGreen, kLossyTolerance));
}

TEST(OrientationTest, AllEightOrientationsMatchOpenCvsImread) {
  const Bytes plain = Encode(Pattern(80, 40), ".jpg");
  for (int orientation = 1; orientation <= 8; ++orientation) {
    for (const bool big_endian : {true, false}) {
      SCOPED_TRACE("orientation " + std::to_string(orientation));
      const Bytes jpeg = WithExifOrientation(plain, orientation, big_endian);
      const Result<DecodedImage> d = DecodeImage(jpeg);
      ASSERT_TRUE(d.ok()) << d.status().ToString();
      // With IMREAD_COLOR (not IMREAD_UNCHANGED) OpenCV applies EXIF orientation itself.
      const cv::Mat reference = cv::imdecode(jpeg, cv::IMREAD_COLOR);
      EXPECT_TRUE(SameImage(d->bgr, reference));
      EXPECT_EQ(d->original_width, reference.cols);
      EXPECT_EQ(d->original_height, reference.rows);
    }
  }
}

TEST(OrientationTest, PngExifChunkIsApplied) {
  const cv::Mat p = Pattern(30, 20);
  const Bytes png = Encode(p, ".png");
  Bytes with_exif(png.begin(), png.begin() + 33);  // signature + IHDR
  const Bytes exif = PngChunk("eXIf", ExifTiff(6, true));
  with_exif.insert(with_exif.end(), exif.begin(), exif.end());
  with_exif.insert(with_exif.end(), png.begin() + 33, png.end());
  const Result<DecodedImage> d = DecodeImage(with_exif);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  cv::Mat expected;
  cv::rotate(p, expected, cv::ROTATE_90_CLOCKWISE);
  EXPECT_TRUE(SameImage(d->bgr, expected));
  EXPECT_EQ(d->original_width, 20);
  EXPECT_EQ(d->original_height, 30);
}

TEST(OrientationTest, WebpExifChunkIsApplied) {
  const cv::Mat p = Pattern(30, 20);
  const Bytes webp =
      WebpWithExif(Encode(p, ".webp", {cv::IMWRITE_WEBP_QUALITY, 101}), 30, 20, ExifTiff(8, false));
  const Result<ImageHeader> h = ReadHeader(webp);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->orientation, 8);
  const Result<DecodedImage> d = DecodeImage(webp);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  cv::Mat expected;
  cv::rotate(p, expected, cv::ROTATE_90_COUNTERCLOCKWISE);
  EXPECT_TRUE(SameImage(d->bgr, expected));
}

// ---- Reduced-scale JPEG ----

TEST(ReducedJpegTest, DecodesAtTheStrongestScaleKeepingTheLongerSide) {
  const Bytes jpeg = Encode(Pattern(3000, 2000), ".jpg", {cv::IMWRITE_JPEG_QUALITY, 80});
  DecodeOptions options;
  options.reduce_above_side = 1000;
  Result<DecodedImage> d = DecodeImage(jpeg, options);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_LE(d->scale, 0.5);
  EXPECT_GE(std::max(d->bgr.cols, d->bgr.rows), 1000);
  EXPECT_EQ(d->original_width, 3000);
  EXPECT_EQ(d->original_height, 2000);
  EXPECT_NEAR(d->bgr.cols, 3000 * d->scale, 1.0);
  ExpectPattern(d->bgr, d->bgr.cols, d->bgr.rows, kLossyTolerance);

  options.reduce_above_side = 300;  // 1/8 gives 375 >= 300
  d = DecodeImage(jpeg, options);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->scale, 0.125);
  EXPECT_EQ(d->bgr.size(), cv::Size(375, 250));

  options.reduce_above_side = 3000;  // not above: full scale
  d = DecodeImage(jpeg, options);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->scale, 1.0);
  EXPECT_EQ(d->bgr.size(), cv::Size(3000, 2000));

  options.reduce_above_side = 1000;  // orientation applies after reduction
  d = DecodeImage(WithExifOrientation(jpeg, 8), options);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->original_width, 2000);
  EXPECT_EQ(d->original_height, 3000);
  EXPECT_EQ(d->bgr.size(), cv::Size(1000, 1500));
}

TEST(ReducedJpegTest, OtherFormatsAreNotReduced) {
  DecodeOptions options;
  options.reduce_above_side = 10;
  const Result<DecodedImage> d = DecodeImage(Encode(Pattern(kWidth, kHeight), ".png"), options);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->scale, 1.0);
  EXPECT_EQ(d->bgr.size(), cv::Size(kWidth, kHeight));
}

// ---- GIF ----

TEST(GifTest, TransparentPixelsAreWhite) {
  GifSpec spec = PatternGif(8, 8);
  spec.transparent = 0;  // the red quadrant
  const Result<DecodedImage> d = DecodeImage(MakeGif(spec));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->bgr.at<cv::Vec3b>(1, 1), kWhite);
  EXPECT_EQ(d->bgr.at<cv::Vec3b>(1, 6), kGreen);
}

TEST(GifTest, InterlacedAndLocalColourMap) {
  GifSpec spec = PatternGif(20, 30);
  spec.interlace = true;
  spec.local_map = true;
  const Result<DecodedImage> d = DecodeImage(MakeGif(spec));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ExpectPattern(d->bgr, 20, 30, 0);
  EXPECT_TRUE(SameImage(d->bgr, Pattern(20, 30)));
}

TEST(GifTest, FrameOffsetOnTheScreenAndPastIt) {
  GifSpec spec = PatternGif(4, 4);
  spec.screen_width = 10;
  spec.screen_height = 6;
  spec.left = 8;  // reaches x = 12, past the 10-pixel screen
  spec.top = 1;
  const Bytes gif = MakeGif(spec);
  const Result<ImageHeader> h = ReadHeader(gif);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->width, 12);
  EXPECT_EQ(h->height, 6);
  const Result<DecodedImage> d = DecodeImage(gif);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->bgr.size(), cv::Size(12, 6));
  EXPECT_EQ(d->bgr.at<cv::Vec3b>(0, 0), kWhite);  // uncovered
  EXPECT_EQ(d->bgr.at<cv::Vec3b>(1, 8), kRed);
  EXPECT_EQ(d->bgr.at<cv::Vec3b>(4, 11), kYellow);
}

TEST(GifTest, NoColourMapOrNoImageIsInvalidArgument) {
  Bytes no_map = {'G', 'I', 'F', '8', '9', 'a', 2, 0, 2, 0, 0, 0, 0};
  const Bytes image = {0x2C, 0, 0, 0, 0, 2, 0, 2, 0, 0, 2, 2, 0x84, 0x51, 0, 0x3B};
  Bytes with_image = no_map;
  with_image.insert(with_image.end(), image.begin(), image.end());
  Result<DecodedImage> d = DecodeImage(with_image);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument) << d.status().ToString();
  no_map.push_back(0x3B);  // trailer right after the screen
  d = DecodeImage(no_map);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
}

// ---- Refusals ----

TEST(RefusalTest, EmptyUnknownAndTextInputs) {
  Result<DecodedImage> d = DecodeImage({});
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(d.status().message(), "empty file");

  const std::string text = "name,identity\nalice.jpg,alice\n";
  d = DecodeImage(Bytes(text.begin(), text.end()));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(d.status().message(), "not a recognised image format");

  std::mt19937 rng(1234);
  for (int i = 0; i < 100; ++i) {
    Bytes noise(1 + rng() % 4096);
    for (uint8_t& b : noise) b = static_cast<uint8_t>(rng());
    d = DecodeImage(noise);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(RefusalTest, ZeroByteFileReadsAndIsRefused) {
  testing::TempDir dir;
  const auto path = dir.path() / "empty.jpg";
  std::ofstream(path, std::ios::binary).close();
  const Result<Bytes> bytes = ReadFileBytes(path);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_TRUE(bytes->empty());
  const Result<DecodedImage> d = DecodeImage(*bytes);
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
}

TEST(RefusalTest, TruncatedFilesAreInvalidArgument) {
  for (const Sample& s : AllFormats()) {
    const size_t n = s.bytes.size();
    for (const size_t cut : {size_t{1}, size_t{4}, size_t{12}, size_t{20}, size_t{40}, n / 4, n / 2,
                             3 * n / 4, n - 4, n - 2}) {
      if (cut >= n) continue;
      // Cutting "255\n" to "25" leaves an ASCII PNM that is complete, just with another last value.
      if (s.name == "ascii-ppm" && cut + 4 > n) continue;
      const Result<DecodedImage> d = DecodeImage(std::span(s.bytes).first(cut));
      ASSERT_FALSE(d.ok()) << s.name << " cut to " << cut << " of " << n;
      EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument)
          << s.name << " cut to " << cut << ": " << d.status().ToString();
    }
  }
}

TEST(RefusalTest, CorruptedFilesNeverCrash) {
  DecodeOptions options;
  options.max_pixels = 1'000'000;
  std::mt19937 rng(99);
  for (const Sample& s : AllFormats()) {
    for (int i = 0; i < 60; ++i) {
      Bytes mutated = s.bytes;
      const int flips = 1 + static_cast<int>(rng() % 8);
      for (int f = 0; f < flips; ++f) {
        mutated[rng() % mutated.size()] = static_cast<uint8_t>(rng());
      }
      const Result<DecodedImage> d = DecodeImage(mutated, options);
      if (d.ok()) {
        EXPECT_EQ(d->bgr.type(), CV_8UC3) << s.name;
        EXPECT_FALSE(d->bgr.empty()) << s.name;
      } else {
        EXPECT_FALSE(d.status().message().empty());
      }
      (void)ReadHeader(mutated);
    }
  }
}

void ExpectPixelBomb(const Bytes& bytes, const std::string& name) {
  SCOPED_TRACE(name);
  const Result<ImageHeader> h = ReadHeader(bytes);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->width, 60000);
  EXPECT_EQ(h->height, 60000);
  const Result<DecodedImage> d = DecodeImage(bytes);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kResourceExhausted) << d.status().ToString();
  EXPECT_NE(d.status().message().find("60000x60000"), std::string::npos) << d.status().message();
  EXPECT_NE(d.status().message().find("100000000"), std::string::npos) << d.status().message();
}

TEST(RefusalTest, PixelBombsAreRefusedFromTheHeader) {
  // PNG: rewrite IHDR's size and fix its CRC, so only the pixel limit stands in the way.
  Bytes png = Encode(Pattern(8, 8), ".png");
  const Bytes ihdr = {0, 0, 0xEA, 0x60, 0, 0, 0xEA, 0x60};  // 60000 x 60000
  std::copy(ihdr.begin(), ihdr.end(), png.begin() + 16);
  const uint32_t crc = Crc32(png.data() + 12, 17);
  for (int i = 0; i < 4; ++i) png[29 + i] = static_cast<uint8_t>(crc >> (24 - 8 * i));
  ExpectPixelBomb(png, "png");

  Bytes jpeg = Encode(Pattern(8, 8), ".jpg");
  const size_t sof = FindSof(jpeg);
  PutBe16(jpeg, sof + 5, 60000);  // height
  PutBe16(jpeg, sof + 7, 60000);  // width
  ExpectPixelBomb(jpeg, "jpeg");

  GifSpec spec = PatternGif(2, 2);
  spec.screen_width = spec.screen_height = 60000;
  ExpectPixelBomb(MakeGif(spec), "gif");
}

TEST(RefusalTest, MaxPixelsIsRespected) {
  for (const Sample& s : AllFormats()) {
    DecodeOptions options;
    options.max_pixels = kWidth * kHeight - 1;
    Result<DecodedImage> d = DecodeImage(s.bytes, options);
    ASSERT_FALSE(d.ok()) << s.name;
    EXPECT_EQ(d.status().code(), StatusCode::kResourceExhausted) << s.name;
    options.max_pixels = kWidth * kHeight;
    d = DecodeImage(s.bytes, options);
    EXPECT_TRUE(d.ok()) << s.name << ": " << d.status().ToString();
  }
}

TEST(RefusalTest, GifFrameLargerThanTheLimitIsRefused) {
  GifSpec spec = PatternGif(2, 2);
  spec.screen_width = spec.screen_height = 2;
  spec.left = 3000;  // the frame pushes the canvas to 3002 x 2
  DecodeOptions options;
  options.max_pixels = 5000;
  const Result<DecodedImage> d = DecodeImage(MakeGif(spec), options);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kResourceExhausted);
}

// ---- ReadFileBytes ----

TEST(ReadFileBytesTest, MissingDirectoryAndTooLarge) {
  testing::TempDir dir;
  EXPECT_EQ(ReadFileBytes(dir.path() / "missing").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ReadFileBytes(dir.path()).status().code(), StatusCode::kIOError);
  const auto path = dir.path() / "hundred.bin";
  std::ofstream(path, std::ios::binary) << std::string(100, 'x');
  EXPECT_EQ(ReadFileBytes(path, 99).status().code(), StatusCode::kResourceExhausted);
  const Result<Bytes> bytes = ReadFileBytes(path, 100);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_EQ(bytes->size(), 100u);
}

// ---- The shared development photos ----

TEST(FacesDevTest, EveryImageDecodes) {
  const auto root = testing::FacesDevDir();
  if (!root) GTEST_SKIP() << "faces-dev data set not present";
  int decoded = 0;
  std::set<ImageFormat> formats;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(*root)) {
    if (!entry.is_regular_file()) continue;
    const std::string ext = entry.path().extension().string();
    if (ext == ".md" || ext == ".csv" || ext == ".txt") continue;
    SCOPED_TRACE(entry.path().string());
    const Result<Bytes> bytes = ReadFileBytes(entry.path());
    ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
    const Result<ImageHeader> header = ReadHeader(*bytes);
    ASSERT_TRUE(header.ok()) << header.status().ToString();
    const Result<DecodedImage> d = DecodeImage(*bytes);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_EQ(d->bgr.type(), CV_8UC3);
    EXPECT_EQ(d->format, header->format);
    const bool swapped = header->orientation >= 5;
    EXPECT_EQ(d->original_width, swapped ? header->height : header->width);
    EXPECT_EQ(d->original_height, swapped ? header->width : header->height);
    formats.insert(d->format);
    ++decoded;
  }
  EXPECT_GT(decoded, 600);
  for (const ImageFormat f : {ImageFormat::kJpeg, ImageFormat::kPng, ImageFormat::kWebp,
                              ImageFormat::kPnm, ImageFormat::kGif}) {
    EXPECT_EQ(formats.count(f), 1u) << FormatName(f);
  }
}

}  // namespace
}  // namespace likeness::imageio
