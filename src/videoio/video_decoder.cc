#include "videoio/video_decoder.h"

#include <algorithm>
#include <cmath>

#include "videoio/demuxer.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>
}

namespace likeness::videoio {

using internal::AvError;

struct VideoDecoder::State {
  std::unique_ptr<internal::Demuxer> demuxer;
  AVCodecContext* codec = nullptr;
  AVFrame* frame = nullptr;
  AVPacket* packet = nullptr;
  SwsContext* to_bgr = nullptr;
  SwsContext* to_grey = nullptr;
  int stream = -1;
  AVRational time_base{1, 1};
  int64_t start_pts = 0;
  bool draining = false;
  bool have_frame = false;

  ~State() {
    sws_freeContext(to_bgr);
    sws_freeContext(to_grey);
    av_packet_free(&packet);
    av_frame_free(&frame);
    avcodec_free_context(&codec);
  }
};

VideoDecoder::VideoDecoder(std::unique_ptr<State> state) : state_(std::move(state)) {}
VideoDecoder::~VideoDecoder() = default;

Result<std::unique_ptr<VideoDecoder>> VideoDecoder::OpenFile(const std::filesystem::path& path,
                                                             const VideoLimits& limits,
                                                             const DecodeSettings& settings) {
  auto state = std::make_unique<State>();
  ASSIGN_OR_RETURN(state->demuxer, internal::Demuxer::OpenFile(path, limits.max_bytes));
  return Open(std::move(state), limits, settings);
}

Result<std::unique_ptr<VideoDecoder>> VideoDecoder::OpenMemory(std::span<const uint8_t> bytes,
                                                               const VideoLimits& limits,
                                                               const DecodeSettings& settings) {
  auto state = std::make_unique<State>();
  ASSIGN_OR_RETURN(state->demuxer, internal::Demuxer::OpenMemory(bytes, limits.max_bytes));
  return Open(std::move(state), limits, settings);
}

Result<std::unique_ptr<VideoDecoder>> VideoDecoder::Open(std::unique_ptr<State> s,
                                                         const VideoLimits& limits,
                                                         const DecodeSettings& settings) {
  AVFormatContext* format = s->demuxer->format();
  const VideoContainer container = s->demuxer->container();
  const std::string name(ContainerName(container));
  const AVCodec* decoder = nullptr;
  s->stream = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0);
  if (s->stream == AVERROR_DECODER_NOT_FOUND) {
    return Status::Unsupported(name + ": no decoder for its video codec");
  }
  if (s->stream < 0) return Status::InvalidArgument(name + " file holds no video stream");
  const AVStream* stream = format->streams[s->stream];
  const AVCodecParameters* par = stream->codecpar;

  VideoInfo info;
  info.container = container;
  info.codec = avcodec_get_name(par->codec_id);
  info.width = par->width;
  info.height = par->height;
  if (info.width <= 0 || info.height <= 0) {
    return Status::InvalidArgument(name + ": the video stream gives no frame size");
  }
  if (int64_t{info.width} * info.height > limits.max_frame_pixels) {
    return Status::ResourceExhausted(name + " frames are " + std::to_string(info.width) + "x" +
                                     std::to_string(info.height) + ", over the limit of " +
                                     std::to_string(limits.max_frame_pixels) + " pixels");
  }
  s->time_base = stream->time_base;
  // The video stream's own duration when the container gives it (an audio track may run longer),
  // else the container's.
  if (stream->duration != AV_NOPTS_VALUE && stream->duration > 0) {
    info.duration_s = static_cast<double>(stream->duration) * av_q2d(stream->time_base);
  } else if (format->duration != AV_NOPTS_VALUE && format->duration > 0) {
    info.duration_s = static_cast<double>(format->duration) / AV_TIME_BASE;
  }
  if (!(info.duration_s <= limits.max_duration_s)) {
    return Status::ResourceExhausted(name + " lasts " + std::to_string(info.duration_s) +
                                     " s, over the limit of " +
                                     std::to_string(limits.max_duration_s) + " s");
  }
  if (stream->avg_frame_rate.num > 0 && stream->avg_frame_rate.den > 0) {
    info.fps = av_q2d(stream->avg_frame_rate);
  }
  s->start_pts = stream->start_time != AV_NOPTS_VALUE ? stream->start_time : 0;

  s->codec = avcodec_alloc_context3(decoder);
  if (s->codec == nullptr) return Status::ResourceExhausted("out of memory");
  if (int rc = avcodec_parameters_to_context(s->codec, par); rc < 0) {
    return Status::InvalidArgument(name + ": bad codec parameters: " + AvError(rc));
  }
  s->codec->thread_count = std::max(1, settings.threads);
  s->codec->err_recognition |= AV_EF_EXPLODE | AV_EF_BITSTREAM | AV_EF_CRCCHECK;
  if (settings.skip_non_reference) s->codec->skip_frame = AVDISCARD_NONREF;
  if (int rc = avcodec_open2(s->codec, decoder, nullptr); rc < 0) {
    return Status::Unsupported(name + ": cannot open the " + info.codec +
                               " decoder: " + AvError(rc));
  }
  s->frame = av_frame_alloc();
  s->packet = av_packet_alloc();
  if (s->frame == nullptr || s->packet == nullptr) {
    return Status::ResourceExhausted("out of memory");
  }
  auto out = std::unique_ptr<VideoDecoder>(new VideoDecoder(std::move(s)));
  out->info_ = info;
  out->limits_ = limits;
  return out;
}

Result<bool> VideoDecoder::Next(double* time_s) {
  State& s = *state_;
  AVFormatContext* format = s.demuxer->format();
  s.have_frame = false;
  const auto corrupt = [&](const char* what, int rc) {
    return Status::Corruption(std::string(what) + " " +
                              std::string(ContainerName(info_.container)) + " (" + info_.codec +
                              ") after frame " + std::to_string(frames_) + ": " + AvError(rc));
  };
  for (;;) {
    int rc = avcodec_receive_frame(s.codec, s.frame);
    if (rc == 0) break;
    if (rc == AVERROR_EOF) return false;
    if (rc != AVERROR(EAGAIN)) return corrupt("corrupt", rc);
    if (s.draining) return false;
    rc = av_read_frame(format, s.packet);
    if (rc == AVERROR_EOF) {
      s.draining = true;
      (void)avcodec_send_packet(s.codec, nullptr);
      continue;
    }
    if (rc < 0) return corrupt("damaged", rc);
    if (s.packet->stream_index != s.stream) {
      av_packet_unref(s.packet);
      continue;
    }
    rc = avcodec_send_packet(s.codec, s.packet);
    av_packet_unref(s.packet);
    if (rc < 0 && rc != AVERROR(EAGAIN)) return corrupt("corrupt", rc);
  }
  if (s.frame->width <= 0 || s.frame->height <= 0 ||
      int64_t{s.frame->width} * s.frame->height > limits_.max_frame_pixels) {
    return Status::ResourceExhausted("a frame of " + std::to_string(s.frame->width) + "x" +
                                     std::to_string(s.frame->height) +
                                     " is outside the frame-size limit");
  }
  ++frames_;
  if (frames_ > limits_.max_frames) {
    return Status::ResourceExhausted("more than " + std::to_string(limits_.max_frames) + " frames");
  }
  const int64_t pts = s.frame->best_effort_timestamp;
  double t = 0;
  if (pts != AV_NOPTS_VALUE) {
    t = static_cast<double>(pts - s.start_pts) * av_q2d(s.time_base);
  } else if (info_.fps > 0) {
    t = static_cast<double>(frames_ - 1) / info_.fps;
  }
  if (!std::isfinite(t)) t = 0;
  t = std::max(0.0, t);
  if (t > limits_.max_duration_s) {
    return Status::ResourceExhausted("decoded past the duration limit of " +
                                     std::to_string(limits_.max_duration_s) + " s");
  }
  *time_s = t;
  s.have_frame = true;
  return true;
}

Status VideoDecoder::SeekTo(double time_s) {
  State& s = *state_;
  const double ticks = std::max(0.0, time_s) / av_q2d(s.time_base);
  const int64_t target = s.start_pts + static_cast<int64_t>(ticks);
  if (int rc = av_seek_frame(s.demuxer->format(), s.stream, target, AVSEEK_FLAG_BACKWARD); rc < 0) {
    return Status::Corruption("cannot seek in the video: " + AvError(rc));
  }
  avcodec_flush_buffers(s.codec);
  s.draining = false;
  s.have_frame = false;
  return Status::Ok();
}

Result<cv::Mat> VideoDecoder::Bgr() {
  State& s = *state_;
  if (!s.have_frame) return Status::FailedPrecondition("no decoded frame");
  const int w = s.frame->width, h = s.frame->height;
  s.to_bgr = sws_getCachedContext(s.to_bgr, w, h, static_cast<AVPixelFormat>(s.frame->format), w, h,
                                  AV_PIX_FMT_BGR24, SWS_BILINEAR, nullptr, nullptr, nullptr);
  if (s.to_bgr == nullptr) return Status::Unsupported("no conversion from this pixel format");
  cv::Mat bgr(h, w, CV_8UC3);
  uint8_t* dst[1] = {bgr.data};
  const int stride[1] = {static_cast<int>(bgr.step[0])};
  sws_scale(s.to_bgr, s.frame->data, s.frame->linesize, 0, h, dst, stride);
  return bgr;
}

Result<cv::Mat> VideoDecoder::GreyThumbnail(int width, int height) {
  State& s = *state_;
  if (!s.have_frame) return Status::FailedPrecondition("no decoded frame");
  s.to_grey = sws_getCachedContext(s.to_grey, s.frame->width, s.frame->height,
                                   static_cast<AVPixelFormat>(s.frame->format), width, height,
                                   AV_PIX_FMT_GRAY8, SWS_AREA, nullptr, nullptr, nullptr);
  if (s.to_grey == nullptr) return Status::Unsupported("no conversion from this pixel format");
  cv::Mat grey(height, width, CV_8UC1);
  uint8_t* dst[1] = {grey.data};
  const int stride[1] = {static_cast<int>(grey.step[0])};
  sws_scale(s.to_grey, s.frame->data, s.frame->linesize, 0, s.frame->height, dst, stride);
  return grey;
}

}  // namespace likeness::videoio
