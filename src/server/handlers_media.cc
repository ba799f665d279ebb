// Stored photos and face crops, re-encoded as JPEG: orientation applied and metadata (EXIF, GPS)
// dropped, and the stored bytes checked against their recorded hash before anything is served.
// Responses are marked no-store: browsers and proxies must not keep copies.
#include <algorithm>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common/hash.h"
#include "engine/engine.h"
#include "imageio/decode.h"
#include "server/handlers.h"
#include "server/tenant_scope.h"

namespace likeness::server {
namespace {

constexpr int kJpegQuality = 90;
constexpr double kCropMargin = 0.3;  // of the box size, on each side
constexpr int kCropMaxSide = 256;

Result<imageio::DecodedImage> LoadStored(Services& s, const catalog::ImageRecord& image) {
  const auto& opt = s.engine.options();
  auto bytes = engine::ReadStoredBytes(image.path, opt);  // a file or an archive entry
  if (!bytes.ok()) {
    if (bytes.status().code() == StatusCode::kNotFound) {
      s.Log("image " + std::to_string(image.id) + ": file missing: " + image.path);
      return Status::NotFound("the photo of image " + std::to_string(image.id) +
                              " is no longer available");
    }
    return bytes.status();
  }
  if (Sha256Hex(*bytes) != image.content_hash) {
    return Status::Corruption("image " + std::to_string(image.id) + ": " + image.path +
                              " no longer matches its recorded hash");
  }
  return imageio::DecodeImage(*bytes, opt.decode);
}

Result<Reply> Jpeg(const cv::Mat& bgr) {
  std::vector<uint8_t> out;
  try {
    if (!cv::imencode(".jpg", bgr, out, {cv::IMWRITE_JPEG_QUALITY, kJpegQuality})) {
      return Status::Internal("JPEG encoding failed");
    }
  } catch (const cv::Exception& ex) {
    return Status::Internal(std::string("JPEG encoding failed: ") + ex.what());
  }
  Reply r = Reply::Bytes("image/jpeg", std::string(out.begin(), out.end()));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace

Result<Reply> HandleGetImage(Services& s, const Call& call) {
  ASSIGN_OR_RETURN(TenantScope scope, ScopeOf(s, call));
  ASSIGN_OR_RETURN(catalog::ImageRecord image, VisibleImage(s, scope, call.Id(0)));
  ASSIGN_OR_RETURN(imageio::DecodedImage decoded, LoadStored(s, image));
  return Jpeg(decoded.bgr);
}

Result<Reply> HandleGetFaceCrop(Services& s, const Call& call) {
  ASSIGN_OR_RETURN(TenantScope scope, ScopeOf(s, call));
  ASSIGN_OR_RETURN(catalog::FaceRecord face, VisibleFace(s, scope, call.Id(0)));
  ASSIGN_OR_RETURN(catalog::ImageRecord image, s.engine.catalog().GetImage(face.image_id));
  ASSIGN_OR_RETURN(imageio::DecodedImage decoded, LoadStored(s, image));
  const double k = decoded.scale;
  const double w = face.box.width(), h = face.box.height();
  const int cols = decoded.bgr.cols, rows = decoded.bgr.rows;
  const int x1 = std::clamp(static_cast<int>((face.box.x1 - kCropMargin * w) * k), 0, cols - 1);
  const int y1 = std::clamp(static_cast<int>((face.box.y1 - kCropMargin * h) * k), 0, rows - 1);
  const int x2 = std::clamp(static_cast<int>((face.box.x2 + kCropMargin * w) * k), x1 + 1, cols);
  const int y2 = std::clamp(static_cast<int>((face.box.y2 + kCropMargin * h) * k), y1 + 1, rows);
  cv::Mat crop = decoded.bgr(cv::Rect(x1, y1, x2 - x1, y2 - y1));
  const int side = std::max(crop.cols, crop.rows);
  if (side > kCropMaxSide) {
    const double f = static_cast<double>(kCropMaxSide) / side;
    cv::Mat small;
    try {
      cv::resize(crop, small, cv::Size(), f, f, cv::INTER_AREA);
    } catch (const cv::Exception& ex) {
      return Status::Internal(std::string("resize failed: ") + ex.what());
    }
    return Jpeg(small);
  }
  return Jpeg(crop);
}

}  // namespace likeness::server
