// Internal to videoio: an FFmpeg demuxer over our own read/seek callbacks (a file or bytes in
// memory), restricted to the container SniffVideo recognised, with every protocol refused.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "likeness/status.h"
#include "videoio/video_format.h"

struct AVFormatContext;
struct AVIOContext;

namespace likeness::videoio::internal {

class Demuxer {
 public:
  // Errors: NotFound, IOError, ResourceExhausted (over max_bytes), InvalidArgument (not a
  // container we read, or a header libavformat cannot parse).
  static Result<std::unique_ptr<Demuxer>> OpenFile(const std::filesystem::path& path,
                                                   uint64_t max_bytes);
  // `bytes` must outlive the demuxer.
  static Result<std::unique_ptr<Demuxer>> OpenMemory(std::span<const uint8_t> bytes,
                                                     uint64_t max_bytes);
  ~Demuxer();
  Demuxer(const Demuxer&) = delete;
  Demuxer& operator=(const Demuxer&) = delete;

  AVFormatContext* format() const { return format_; }
  VideoContainer container() const { return container_; }
  int64_t size() const { return size_; }

 private:
  Demuxer() = default;
  Status Open();
  static int Read(void* opaque, uint8_t* buf, int size);
  static int64_t Seek(void* opaque, int64_t offset, int whence);

  std::span<const uint8_t> memory_;
  std::FILE* file_ = nullptr;
  int64_t size_ = 0;
  int64_t position_ = 0;
  AVIOContext* io_ = nullptr;
  AVFormatContext* format_ = nullptr;
  VideoContainer container_ = VideoContainer::kUnknown;
};

// The text of an FFmpeg error code.
std::string AvError(int code);

}  // namespace likeness::videoio::internal
