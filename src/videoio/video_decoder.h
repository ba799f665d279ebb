// Decodes recorded video frame by frame with FFmpeg (libavformat + libavcodec + libswscale), from a
// file or from bytes already in memory (an archive entry), through our own read/seek callbacks:
// nothing is extracted or written to disk, and the demuxer may open nothing else (no protocols, no
// external references), so a hostile file cannot make Likeness read another file or the network.
//
// The container is chosen from the content (SniffVideo), never the name; only the mov/mp4,
// matroska/webm and avi demuxers are allowed. Limits are checked from the header before decoding
// and again while decoding (a header may lie). Bitstream errors are errors (AV_EF_EXPLODE), not
// concealed into grey frames.
//
// Thread safety: one VideoDecoder is used by one thread at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <opencv2/core.hpp>
#include <span>
#include <string>

#include "likeness/status.h"
#include "videoio/video_format.h"

namespace likeness::videoio {

struct VideoLimits {
  uint64_t max_bytes = 4ull << 30;           // the file or entry
  double max_duration_s = 4 * 3600.0;        // from the header, and as decoded
  int64_t max_frame_pixels = 3840LL * 2160;  // width x height of the video stream
  int64_t max_frames = 4LL * 3600 * 120;     // decoded frames, whatever the timestamps say
};

struct VideoInfo {
  VideoContainer container = VideoContainer::kUnknown;
  std::string codec;  // e.g. "h264", "vp8", "mpeg4"
  int width = 0, height = 0;
  double duration_s = 0;  // from the header; 0 when it gives none
  double fps = 0;         // average frame rate from the header; 0 when unknown
};

struct DecodeSettings {
  int threads = 1;  // decoder threads (ingest runs one decoder per worker)
  // Skip decoding frames no other frame refers to (B-frames): sampling at a few fps loses
  // nothing, and decoding gets cheaper.
  bool skip_non_reference = true;
};

class VideoDecoder {
 public:
  // Opens a file (streamed through our read callback; the size limit is checked first).
  // Errors: NotFound, IOError, ResourceExhausted (size, duration or frame-size limit),
  // InvalidArgument (not a video container we read, no video stream, corrupt header),
  // Unsupported (no decoder for its codec).
  static Result<std::unique_ptr<VideoDecoder>> OpenFile(const std::filesystem::path& path,
                                                        const VideoLimits& limits = {},
                                                        const DecodeSettings& settings = {});
  // Opens bytes in memory; they must outlive the decoder. Errors as OpenFile.
  static Result<std::unique_ptr<VideoDecoder>> OpenMemory(std::span<const uint8_t> bytes,
                                                          const VideoLimits& limits = {},
                                                          const DecodeSettings& settings = {});
  ~VideoDecoder();
  VideoDecoder(const VideoDecoder&) = delete;
  VideoDecoder& operator=(const VideoDecoder&) = delete;

  const VideoInfo& info() const { return info_; }

  // Decodes the next frame. Returns false at the end of the stream. *time_s is its presentation
  // time from the stream start. Errors: Corruption (bitstream or container damage, a read error),
  // ResourceExhausted (the frame or duration limit passed while decoding).
  Result<bool> Next(double* time_s);
  // Positions the stream so that the following Next calls return the frames from about time_s on
  // (a seek to the key frame at or before it; the caller decodes forward). Errors: Corruption.
  Status SeekTo(double time_s);
  // The frame Next decoded last, as 8-bit BGR at full size.
  Result<cv::Mat> Bgr();
  // The frame Next decoded last as a small grey thumbnail (area-averaged), for cut detection.
  Result<cv::Mat> GreyThumbnail(int width, int height);

  int64_t frames_decoded() const { return frames_; }

 private:
  struct State;
  explicit VideoDecoder(std::unique_ptr<State> state);
  static Result<std::unique_ptr<VideoDecoder>> Open(std::unique_ptr<State> state,
                                                    const VideoLimits& limits,
                                                    const DecodeSettings& settings);
  std::unique_ptr<State> state_;
  VideoInfo info_;
  VideoLimits limits_;
  int64_t frames_ = 0;
};

}  // namespace likeness::videoio
