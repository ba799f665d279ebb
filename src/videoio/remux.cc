#include "videoio/remux.h"

#include <memory>
#include <vector>

#include "videoio/demuxer.h"

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/dict.h>
#include <libavutil/mem.h>
}

namespace likeness::videoio {
namespace {

using internal::AvError;

struct Muxer {
  AVFormatContext* format = nullptr;
  bool io_open = false;
  ~Muxer() {
    if (format != nullptr && io_open) {
      uint8_t* buffer = nullptr;
      (void)avio_close_dyn_buf(format->pb, &buffer);
      av_free(buffer);
    }
    avformat_free_context(format);
  }
};

const char* MuxerFor(VideoContainer c) {
  switch (c) {
    case VideoContainer::kMp4:
    case VideoContainer::kMov:
      return "mp4";
    case VideoContainer::kMatroska:
      return "matroska";
    case VideoContainer::kWebm:
      return "webm";
    case VideoContainer::kAvi:
      return "avi";
    case VideoContainer::kUnknown:
      break;
  }
  return nullptr;
}

Result<PlaybackCopy> Copy(internal::Demuxer& in) {
  AVFormatContext* src = in.format();
  PlaybackCopy out;
  out.container = in.container() == VideoContainer::kMov ? VideoContainer::kMp4 : in.container();
  Muxer mux;
  if (avformat_alloc_output_context2(&mux.format, nullptr, MuxerFor(out.container), nullptr) < 0) {
    return Status::Internal("no muxer for " + std::string(ContainerName(out.container)));
  }
  // No "encoder" tag or other build-identifying strings.
  mux.format->flags |= AVFMT_FLAG_BITEXACT;
  std::vector<int> map(src->nb_streams, -1);
  for (unsigned i = 0; i < src->nb_streams; ++i) {
    const AVCodecParameters* par = src->streams[i]->codecpar;
    if (par->codec_type != AVMEDIA_TYPE_VIDEO && par->codec_type != AVMEDIA_TYPE_AUDIO) continue;
    if (src->streams[i]->disposition & AV_DISPOSITION_ATTACHED_PIC) continue;
    AVStream* dst = avformat_new_stream(mux.format, nullptr);
    if (dst == nullptr) return Status::ResourceExhausted("out of memory");
    if (avcodec_parameters_copy(dst->codecpar, par) < 0) {
      return Status::ResourceExhausted("out of memory");
    }
    dst->codecpar->codec_tag = 0;
    dst->time_base = src->streams[i]->time_base;
    map[i] = dst->index;
  }
  if (mux.format->nb_streams == 0) return Status::InvalidArgument("no video or audio stream");
  if (int rc = avio_open_dyn_buf(&mux.format->pb); rc < 0) {
    return Status::ResourceExhausted("out of memory");
  }
  mux.io_open = true;
  AVDictionary* options = nullptr;
  if (out.container == VideoContainer::kMp4) {
    // Fragmented: playable while it downloads, no seeking back to write the index.
    av_dict_set(&options, "movflags", "frag_keyframe+empty_moov+default_base_moof", 0);
  }
  const int header = avformat_write_header(mux.format, &options);
  av_dict_free(&options);
  if (header < 0) return Status::Internal("cannot write the copy's header: " + AvError(header));

  AVPacket* packet = av_packet_alloc();
  if (packet == nullptr) return Status::ResourceExhausted("out of memory");
  std::unique_ptr<AVPacket, void (*)(AVPacket*)> guard(packet,
                                                       [](AVPacket* p) { av_packet_free(&p); });
  for (;;) {
    int rc = av_read_frame(src, packet);
    if (rc == AVERROR_EOF) break;
    if (rc < 0) return Status::Corruption("damaged video: " + AvError(rc));
    const int target = packet->stream_index < static_cast<int>(map.size())
                           ? map[static_cast<size_t>(packet->stream_index)]
                           : -1;
    if (target < 0) {
      av_packet_unref(packet);
      continue;
    }
    av_packet_rescale_ts(packet, src->streams[packet->stream_index]->time_base,
                         mux.format->streams[target]->time_base);
    packet->stream_index = target;
    packet->pos = -1;
    rc = av_interleaved_write_frame(mux.format, packet);  // takes the packet's data
    if (rc < 0) return Status::Corruption("cannot copy a packet: " + AvError(rc));
  }
  if (int rc = av_write_trailer(mux.format); rc < 0) {
    return Status::Corruption("cannot finish the copy: " + AvError(rc));
  }
  uint8_t* buffer = nullptr;
  const int size = avio_close_dyn_buf(mux.format->pb, &buffer);
  mux.io_open = false;
  mux.format->pb = nullptr;
  if (size < 0 || buffer == nullptr) {
    av_free(buffer);
    return Status::Internal("the copy is empty");
  }
  out.bytes.assign(reinterpret_cast<const char*>(buffer), static_cast<size_t>(size));
  av_free(buffer);
  return out;
}

}  // namespace

Result<PlaybackCopy> PlaybackCopyOfFile(const std::filesystem::path& path,
                                        const VideoLimits& limits) {
  ASSIGN_OR_RETURN(auto in, internal::Demuxer::OpenFile(path, limits.max_bytes));
  return Copy(*in);
}

Result<PlaybackCopy> PlaybackCopyOfMemory(std::span<const uint8_t> bytes,
                                          const VideoLimits& limits) {
  ASSIGN_OR_RETURN(auto in, internal::Demuxer::OpenMemory(bytes, limits.max_bytes));
  return Copy(*in);
}

}  // namespace likeness::videoio
