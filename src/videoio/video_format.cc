#include "videoio/video_format.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace likeness::videoio {
namespace {

bool At(std::span<const uint8_t> bytes, size_t offset, std::string_view text) {
  return bytes.size() >= offset + text.size() &&
         std::memcmp(bytes.data() + offset, text.data(), text.size()) == 0;
}

bool Contains(std::span<const uint8_t> bytes, std::string_view text) {
  return std::search(bytes.begin(), bytes.end(), text.begin(), text.end()) != bytes.end();
}

// ISO-BMFF brands that are still images, not video.
bool IsStillImageBrand(std::span<const uint8_t> head) {
  constexpr std::array<std::string_view, 6> kStill = {"heic", "heix", "mif1",
                                                      "msf1", "avif", "avis"};
  return std::any_of(kStill.begin(), kStill.end(),
                     [&](std::string_view brand) { return At(head, 8, brand); });
}

}  // namespace

std::string_view ContainerName(VideoContainer container) {
  switch (container) {
    case VideoContainer::kMp4:
      return "mp4";
    case VideoContainer::kMov:
      return "mov";
    case VideoContainer::kMatroska:
      return "mkv";
    case VideoContainer::kWebm:
      return "webm";
    case VideoContainer::kAvi:
      return "avi";
    case VideoContainer::kUnknown:
      break;
  }
  return "unknown";
}

VideoContainer ContainerFromName(std::string_view name) {
  for (VideoContainer c : {VideoContainer::kMp4, VideoContainer::kMov, VideoContainer::kMatroska,
                           VideoContainer::kWebm, VideoContainer::kAvi}) {
    if (ContainerName(c) == name) return c;
  }
  return VideoContainer::kUnknown;
}

bool IsVideoFormatName(std::string_view name) {
  return ContainerFromName(name) != VideoContainer::kUnknown;
}

std::string_view ContainerMimeType(VideoContainer container) {
  switch (container) {
    case VideoContainer::kMp4:
      return "video/mp4";
    case VideoContainer::kMov:
      return "video/quicktime";
    case VideoContainer::kMatroska:
      return "video/x-matroska";
    case VideoContainer::kWebm:
      return "video/webm";
    case VideoContainer::kAvi:
      return "video/x-msvideo";
    case VideoContainer::kUnknown:
      break;
  }
  return "application/octet-stream";
}

VideoContainer SniffVideo(std::span<const uint8_t> head) {
  head = head.first(std::min(head.size(), kVideoSniffBytes));
  if (At(head, 4, "ftyp")) {
    if (IsStillImageBrand(head)) return VideoContainer::kUnknown;
    return At(head, 8, "qt  ") ? VideoContainer::kMov : VideoContainer::kMp4;
  }
  // Old QuickTime files start with a top-level atom other than ftyp.
  if (At(head, 4, "moov") || At(head, 4, "mdat") || At(head, 4, "wide") ||
      (At(head, 4, "free") && head.size() >= 16)) {
    return VideoContainer::kMov;
  }
  constexpr std::string_view kEbml = "\x1A\x45\xDF\xA3";
  if (At(head, 0, kEbml)) {
    return Contains(head, "webm") ? VideoContainer::kWebm : VideoContainer::kMatroska;
  }
  if (At(head, 0, "RIFF") && At(head, 8, "AVI ")) return VideoContainer::kAvi;
  return VideoContainer::kUnknown;
}

}  // namespace likeness::videoio
