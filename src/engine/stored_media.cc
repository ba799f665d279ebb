#include "engine/stored_media.h"

#include <algorithm>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common/hash.h"

namespace likeness::engine {

Result<imageio::DecodedImage> LoadStoredImage(const catalog::ImageRecord& image,
                                              const EngineOptions& options) {
  auto bytes = ReadStoredBytes(image.path, options);  // a file or an archive entry
  if (!bytes.ok()) {
    if (bytes.status().code() == StatusCode::kNotFound) {
      return Status::NotFound("the photo of image " + std::to_string(image.id) +
                              " is no longer available");
    }
    return bytes.status();
  }
  if (Sha256Hex(*bytes) != image.content_hash) {
    return Status::Corruption("image " + std::to_string(image.id) + ": " + image.path +
                              " no longer matches its recorded hash");
  }
  return imageio::DecodeImage(*bytes, options.decode);
}

Result<std::string> EncodeJpeg(const cv::Mat& bgr) {
  std::vector<uint8_t> out;
  try {
    if (!cv::imencode(".jpg", bgr, out, {cv::IMWRITE_JPEG_QUALITY, kMediaJpegQuality})) {
      return Status::Internal("JPEG encoding failed");
    }
  } catch (const cv::Exception& ex) {
    return Status::Internal(std::string("JPEG encoding failed: ") + ex.what());
  }
  return std::string(out.begin(), out.end());
}

Result<std::string> FaceCropJpeg(const imageio::DecodedImage& decoded, const BoxF& box) {
  const double k = decoded.scale;
  const double w = box.width(), h = box.height();
  const int cols = decoded.bgr.cols, rows = decoded.bgr.rows;
  if (cols < 1 || rows < 1) return Status::Internal("empty image");
  const int x1 = std::clamp(static_cast<int>((box.x1 - kFaceCropMargin * w) * k), 0, cols - 1);
  const int y1 = std::clamp(static_cast<int>((box.y1 - kFaceCropMargin * h) * k), 0, rows - 1);
  const int x2 = std::clamp(static_cast<int>((box.x2 + kFaceCropMargin * w) * k), x1 + 1, cols);
  const int y2 = std::clamp(static_cast<int>((box.y2 + kFaceCropMargin * h) * k), y1 + 1, rows);
  cv::Mat crop = decoded.bgr(cv::Rect(x1, y1, x2 - x1, y2 - y1));
  const int side = std::max(crop.cols, crop.rows);
  if (side > kFaceCropMaxSide) {
    const double f = static_cast<double>(kFaceCropMaxSide) / side;
    cv::Mat small;
    try {
      cv::resize(crop, small, cv::Size(), f, f, cv::INTER_AREA);
    } catch (const cv::Exception& ex) {
      return Status::Internal(std::string("resize failed: ") + ex.what());
    }
    return EncodeJpeg(small);
  }
  return EncodeJpeg(crop);
}

}  // namespace likeness::engine
