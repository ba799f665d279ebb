// Recorded-video containers Likeness reads, recognised by content (never by file name).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace likeness::videoio {

enum class VideoContainer { kUnknown, kMp4, kMov, kMatroska, kWebm, kAvi };

// "mp4", "mov", "mkv", "webm", "avi" (stored as the image record's format); "unknown".
std::string_view ContainerName(VideoContainer container);
// True for the names ContainerName gives a known container.
bool IsVideoFormatName(std::string_view name);
// The MIME type a browser plays it as ("video/mp4", "video/quicktime", "video/x-matroska",
// "video/webm", "video/x-msvideo").
std::string_view ContainerMimeType(VideoContainer container);
VideoContainer ContainerFromName(std::string_view name);

// How many leading bytes SniffVideo needs to tell every container apart.
inline constexpr size_t kVideoSniffBytes = 64;

// Identifies the container from the first bytes (kVideoSniffBytes are enough): an ISO-BMFF "ftyp"
// box (mp4; brand "qt  " = mov) or a bare QuickTime "moov"/"mdat"/"wide"/"free" atom (mov), an
// EBML header (DocType "webm" = webm, else mkv), or RIFF...AVI. kUnknown otherwise, and for
// ISO-BMFF image brands (HEIF/AVIF "heic", "mif1", "avif"), which are stills.
VideoContainer SniffVideo(std::span<const uint8_t> head);

}  // namespace likeness::videoio
