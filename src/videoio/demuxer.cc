#include "videoio/demuxer.h"

#include <algorithm>
#include <array>
#include <cstring>

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/error.h>
#include <libavutil/log.h>
#include <libavutil/mem.h>
}

namespace likeness::videoio::internal {
namespace {

constexpr int kIoBufferBytes = 64 << 10;
// Demuxers a sniffed container may use (av_match_list names), and none of the others.
constexpr const char* kAllowedDemuxers = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi";
// No protocol is allowed: our read callback is the only input (a dref, playlist or concat entry
// cannot open anything).
constexpr const char* kNoProtocols = "none";

const char* DemuxerFor(VideoContainer c) {
  switch (c) {
    case VideoContainer::kMp4:
    case VideoContainer::kMov:
      return "mov";
    case VideoContainer::kMatroska:
    case VideoContainer::kWebm:
      return "matroska";
    case VideoContainer::kAvi:
      return "avi";
    case VideoContainer::kUnknown:
      break;
  }
  return nullptr;
}

// libav logs to stderr by default; ingest reports errors itself. Set on every open: another user
// of libav in the process (OpenCV's videoio) may have raised the level meanwhile.
void QuietLibav() { av_log_set_level(AV_LOG_QUIET); }

Status TooLarge(uint64_t size, uint64_t max_bytes) {
  return Status::ResourceExhausted("video is " + std::to_string(size) +
                                   " bytes, over the limit of " + std::to_string(max_bytes));
}

}  // namespace

std::string AvError(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof(text));
  return text;
}

Demuxer::~Demuxer() {
  avformat_close_input(&format_);  // custom IO: io_ is ours to free
  if (io_ != nullptr) {
    av_freep(&io_->buffer);
    avio_context_free(&io_);
  }
  if (file_ != nullptr) std::fclose(file_);
}

Result<std::unique_ptr<Demuxer>> Demuxer::OpenFile(const std::filesystem::path& path,
                                                   uint64_t max_bytes) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    if (!std::filesystem::exists(path)) return Status::NotFound("no such file: " + path.string());
    return Status::IOError("cannot read " + path.string() + ": " + ec.message());
  }
  if (size > max_bytes) return TooLarge(size, max_bytes);
  auto d = std::unique_ptr<Demuxer>(new Demuxer());
  d->file_ = std::fopen(path.c_str(), "rb");
  if (d->file_ == nullptr) return Status::IOError("cannot open " + path.string());
  d->size_ = static_cast<int64_t>(size);
  RETURN_IF_ERROR(d->Open());
  return d;
}

Result<std::unique_ptr<Demuxer>> Demuxer::OpenMemory(std::span<const uint8_t> bytes,
                                                     uint64_t max_bytes) {
  if (bytes.size() > max_bytes) return TooLarge(bytes.size(), max_bytes);
  auto d = std::unique_ptr<Demuxer>(new Demuxer());
  d->memory_ = bytes;
  d->size_ = static_cast<int64_t>(bytes.size());
  RETURN_IF_ERROR(d->Open());
  return d;
}

int Demuxer::Read(void* opaque, uint8_t* buf, int size) {
  auto* d = static_cast<Demuxer*>(opaque);
  if (d->file_ != nullptr) {
    const size_t n = std::fread(buf, 1, static_cast<size_t>(size), d->file_);
    if (n == 0) return std::ferror(d->file_) ? AVERROR(EIO) : AVERROR_EOF;
    d->position_ += static_cast<int64_t>(n);
    return static_cast<int>(n);
  }
  const int64_t left = d->size_ - d->position_;
  if (left <= 0) return AVERROR_EOF;
  const int n = static_cast<int>(std::min<int64_t>(left, size));
  std::memcpy(buf, d->memory_.data() + d->position_, static_cast<size_t>(n));
  d->position_ += n;
  return n;
}

int64_t Demuxer::Seek(void* opaque, int64_t offset, int whence) {
  auto* d = static_cast<Demuxer*>(opaque);
  whence &= ~AVSEEK_FORCE;
  if (whence == AVSEEK_SIZE) return d->size_;
  int64_t target = offset;
  if (whence == SEEK_CUR) target = d->position_ + offset;
  if (whence == SEEK_END) target = d->size_ + offset;
  if (target < 0 || target > d->size_) return AVERROR(EINVAL);
  if (d->file_ != nullptr && std::fseek(d->file_, static_cast<long>(target), SEEK_SET) != 0) {
    return AVERROR(EIO);
  }
  d->position_ = target;
  return target;
}

Status Demuxer::Open() {
  QuietLibav();
  std::array<uint8_t, kVideoSniffBytes> head{};
  const auto head_size = static_cast<size_t>(std::min<int64_t>(size_, kVideoSniffBytes));
  if (file_ != nullptr) {
    if (std::fread(head.data(), 1, head_size, file_) != head_size) {
      return Status::IOError("cannot read the video header");
    }
    std::rewind(file_);
  } else if (head_size > 0) {
    std::memcpy(head.data(), memory_.data(), head_size);
  }
  container_ = SniffVideo(std::span<const uint8_t>(head.data(), head_size));
  const char* demuxer_name = DemuxerFor(container_);
  const AVInputFormat* demuxer = demuxer_name ? av_find_input_format(demuxer_name) : nullptr;
  if (demuxer == nullptr) return Status::InvalidArgument("not a recognised video container");

  auto* buffer = static_cast<uint8_t*>(av_malloc(kIoBufferBytes));
  if (buffer == nullptr) return Status::ResourceExhausted("out of memory");
  io_ =
      avio_alloc_context(buffer, kIoBufferBytes, 0, this, &Demuxer::Read, nullptr, &Demuxer::Seek);
  if (io_ == nullptr) {
    av_free(buffer);
    return Status::ResourceExhausted("out of memory");
  }
  format_ = avformat_alloc_context();
  if (format_ == nullptr) return Status::ResourceExhausted("out of memory");
  format_->pb = io_;
  format_->flags |= AVFMT_FLAG_CUSTOM_IO;
  format_->format_whitelist = av_strdup(kAllowedDemuxers);
  format_->protocol_whitelist = av_strdup(kNoProtocols);
  const std::string name(ContainerName(container_));
  if (int rc = avformat_open_input(&format_, "", demuxer, nullptr); rc < 0) {
    format_ = nullptr;  // freed by avformat_open_input on failure
    return Status::InvalidArgument("corrupt or truncated " + name + ": " + AvError(rc));
  }
  if (int rc = avformat_find_stream_info(format_, nullptr); rc < 0) {
    return Status::InvalidArgument("corrupt " + name + ": " + AvError(rc));
  }
  return Status::Ok();
}

}  // namespace likeness::videoio::internal
