// A stored video as it is served for playback: its video and audio streams copied packet by packet
// (no re-encoding) into a new container of the same family (mp4/mov -> fragmented mp4, mkv ->
// matroska, webm -> webm, avi -> avi), without the container's or the streams' metadata (title,
// creation time, GPS location, device, encoder, chapters) and without its other streams
// (subtitles, data, attachments). Built in memory; nothing is written to disk.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "likeness/status.h"
#include "videoio/video_decoder.h"
#include "videoio/video_format.h"

namespace likeness::videoio {

struct PlaybackCopy {
  VideoContainer container = VideoContainer::kUnknown;  // of the copy
  std::string bytes;
};

// Errors: those of opening (NotFound, IOError, ResourceExhausted over limits.max_bytes,
// InvalidArgument), Corruption when a packet cannot be read or written, Internal when the muxer
// refuses the streams.
Result<PlaybackCopy> PlaybackCopyOfFile(const std::filesystem::path& path,
                                        const VideoLimits& limits = {});
Result<PlaybackCopy> PlaybackCopyOfMemory(std::span<const uint8_t> bytes,
                                          const VideoLimits& limits = {});

}  // namespace likeness::videoio
