#include "engine/stored_media.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common/hash.h"
#include "sources/sources.h"
#include "videoio/video_decoder.h"

namespace likeness::engine {

namespace {

namespace fs = std::filesystem;

Status Missing(const catalog::ImageRecord& image) {
  return Status::NotFound("the video of image " + std::to_string(image.id) +
                          " is no longer available");
}

Status Changed(const catalog::ImageRecord& image) {
  return Status::Corruption("image " + std::to_string(image.id) + ": " + image.path +
                            " no longer matches its recorded hash");
}

// A stored video checked against its hash: a file (to be streamed from disk) or an archive
// entry's bytes.
struct StoredVideo {
  fs::path file;
  std::vector<uint8_t> bytes;
};

Result<StoredVideo> OpenStoredVideo(const catalog::ImageRecord& image, uint64_t max_bytes) {
  if (!image.is_video()) {
    return Status::InvalidArgument("image " + std::to_string(image.id) + " is not a video");
  }
  StoredVideo v;
  fs::path archive;
  std::string entry;
  if (sources::SplitArchiveLocation(image.path, &archive, &entry)) {
    auto bytes = sources::ReadArchiveEntry(archive, entry);
    if (!bytes.ok()) {
      return bytes.status().code() == StatusCode::kNotFound ? Missing(image) : bytes.status();
    }
    if (Sha256Hex(*bytes) != image.content_hash) return Changed(image);
    v.bytes = std::move(*bytes);
    return v;
  }
  std::error_code ec;
  if (!fs::is_regular_file(image.path, ec)) return Missing(image);
  const auto size = fs::file_size(image.path, ec);
  if (ec) return Missing(image);
  if (size > max_bytes) {
    return Status::ResourceExhausted("video of image " + std::to_string(image.id) + " is " +
                                     std::to_string(size) + " bytes, over the limit of " +
                                     std::to_string(max_bytes));
  }
  ASSIGN_OR_RETURN(std::string hash, Sha256FileHex(image.path));
  if (hash != image.content_hash) return Changed(image);
  v.file = image.path;
  return v;
}

}  // namespace

Result<imageio::DecodedImage> LoadStoredVideoFrame(const catalog::ImageRecord& image, double time_s,
                                                   const EngineOptions& options) {
  videoio::VideoLimits limits;
  ASSIGN_OR_RETURN(StoredVideo stored, OpenStoredVideo(image, limits.max_bytes));
  // Every frame, B-frames included: the asked moment may be one.
  const videoio::DecodeSettings settings{.threads = 1, .skip_non_reference = false};
  std::unique_ptr<videoio::VideoDecoder> decoder;
  if (!stored.file.empty()) {
    ASSIGN_OR_RETURN(decoder, videoio::VideoDecoder::OpenFile(stored.file, limits, settings));
  } else {
    ASSIGN_OR_RETURN(decoder, videoio::VideoDecoder::OpenMemory(stored.bytes, limits, settings));
  }
  const double duration = image.duration_s.value_or(0);
  const double t = std::clamp(std::isfinite(time_s) ? time_s : 0.0, 0.0, duration);
  if (t > 0) RETURN_IF_ERROR(decoder->SeekTo(t));
  // Half a frame's tolerance: the stored offset is the time of a decoded frame.
  const double fps = decoder->info().fps > 0 ? decoder->info().fps : 30.0;
  const double wanted = t - 0.5 / fps;
  cv::Mat last;
  for (int64_t n = 0; n < kMaxFramesToSeek; ++n) {
    double at = 0;
    ASSIGN_OR_RETURN(const bool more, decoder->Next(&at));
    if (!more) break;
    const bool reached = at + 1e-6 >= wanted;
    // Within the last second before t, keep the frame: past the last frame (t at the very end) the
    // answer is the last one decoded.
    if (reached || at >= t - 1.0) {
      ASSIGN_OR_RETURN(last, decoder->Bgr());
    }
    if (reached) break;
  }
  if (last.empty()) {
    return Status::NotFound("no frame at " + std::to_string(t) + " s in image " +
                            std::to_string(image.id));
  }
  (void)options;
  imageio::DecodedImage out;
  out.bgr = std::move(last);
  out.format = imageio::ImageFormat::kUnknown;
  out.original_width = out.bgr.cols;
  out.original_height = out.bgr.rows;
  return out;
}

Result<videoio::PlaybackCopy> StoredVideoPlaybackCopy(const catalog::ImageRecord& image,
                                                      const EngineOptions& options) {
  (void)options;
  ASSIGN_OR_RETURN(StoredVideo stored, OpenStoredVideo(image, kMaxPlaybackBytes));
  videoio::VideoLimits limits;
  limits.max_bytes = kMaxPlaybackBytes;
  if (!stored.file.empty()) return videoio::PlaybackCopyOfFile(stored.file, limits);
  return videoio::PlaybackCopyOfMemory(stored.bytes, limits);
}

Result<imageio::DecodedImage> LoadStoredFaceImage(const catalog::ImageRecord& image,
                                                  const catalog::FaceRecord& face,
                                                  const EngineOptions& options) {
  if (image.is_video()) {
    return LoadStoredVideoFrame(image, face.video ? face.video->time_offset_s : 0.0, options);
  }
  return LoadStoredImage(image, options);
}

Result<imageio::DecodedImage> LoadStoredImage(const catalog::ImageRecord& image,
                                              const EngineOptions& options) {
  if (image.is_video()) return LoadStoredVideoFrame(image, 0.0, options);
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
