// Video ingest benchmarks (issue 15). Pinned to one core (sched_setaffinity; OpenCV and FFmpeg
// single-threaded), on a slideshow of the demo photos with motion written by Debian's OpenCV writer
// (H.264 when the writer has it, else MPEG-4 part 2), or on a clip given with --clip.
//
//   bench_video rtf [--seconds S] [--width W --height H] [--clip FILE] [--tiles]
//     Real-time factor (video seconds per wall second) at the default sampling, with the per-stage
//     split; the baseline in the same run is decoding alone (every frame, no analysis). Then stills
//     taken from the clip (one frame per slide) are searched against the ingested video: rank-1 by
//     track (the best match belongs to the track on screen at that moment, at that place).
//   bench_video memory [--minutes M]
//     Ingests an M-minute video (default 10) and samples the resident set as it goes: RSS at 10 %,
//     50 % and 100 % of the video, growth from 10 % to 100 %.
#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>

#include "engine/engine.h"
#include "engine/ingest.h"
#include "engine/search.h"
#include "engine/stored_media.h"
#include "sources/sources.h"
#include "testing/video_maker.h"
#include "videoio/video_decoder.h"

namespace fs = std::filesystem;
using namespace likeness;

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

double RssMiB() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1 << 20);
}

void PinToOneCore() {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(0, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) std::perror("sched_setaffinity");
  cv::setNumThreads(1);
}

fs::path DemoDir() {
  if (const char* d = std::getenv("LIKENESS_DEMO"); d && *d) return d;
  return fs::path(std::getenv("HOME")) / ".cache/likeness/demo";
}

// Writes the slideshow (H.264 if the writer can, else MPEG-4 part 2); returns the codec used.
std::string MakeSlideshow(const fs::path& out, int width, int height, double seconds,
                          double seconds_per_slide) {
  std::vector<fs::path> photos;
  for (int i = 1; i <= 6; ++i)
    photos.push_back(DemoDir() / ("sample" + std::to_string(i) + ".jpg"));
  likeness::testing::SlideshowOptions o;
  o.width = width;
  o.height = height;
  o.fps = 25;
  o.seconds_per_slide = seconds_per_slide;
  o.slides = std::max(1, static_cast<int>(seconds / seconds_per_slide + 0.5));
  for (const char* fourcc : {"avc1", "mp4v"}) {
    o.fourcc = fourcc;
    if (likeness::testing::WriteSlideshow(photos, out, o).empty()) return fourcc;
  }
  std::fprintf(stderr, "cannot write a test video\n");
  std::exit(1);
}

std::unique_ptr<engine::Engine> OpenEngine(const fs::path& data) {
  engine::EngineOptions options;
  options.data_dir = data;
  auto e = engine::Engine::Open(options);
  if (!e.ok()) {
    std::fprintf(stderr, "engine: %s\n", e.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(*e);
}

catalog::SourceRecord Declare(engine::Engine& e) {
  auto s = engine::DeclareSource(e.catalog(), {.name = "bench",
                                               .legal_basis = "art6-1-e",
                                               .art9_condition = "art9-2-g",
                                               .jurisdiction = "DE",
                                               .collector = "bench"});
  if (!s.ok()) std::exit(1);
  return *s;
}

double DecodeOnly(const fs::path& clip, double* video_seconds, int64_t* frames) {
  const auto start = Clock::now();
  auto d = videoio::VideoDecoder::OpenFile(clip, {}, {.threads = 1, .skip_non_reference = false});
  if (!d.ok()) std::exit(1);
  double t = 0, last = 0;
  *frames = 0;
  for (;;) {
    auto more = (*d)->Next(&t);
    if (!more.ok() || !*more) break;
    ++*frames;
    last = t;
  }
  *video_seconds = last;
  return Seconds(start);
}

int Rtf(int argc, char** argv) {
  double seconds = 60;
  int width = 1280, height = 720;
  fs::path clip;
  bool tiling = false;
  for (int i = 2; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--tiles")) tiling = true;
  }
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--seconds")) seconds = std::atof(argv[i + 1]);
    if (!std::strcmp(argv[i], "--width")) width = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--height")) height = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--clip")) clip = argv[i + 1];
  }
  const fs::path work = fs::temp_directory_path() / ("bench_video_" + std::to_string(getpid()));
  fs::create_directories(work);
  constexpr double kSlide = 4.0;
  std::string codec = "given clip";
  const bool generated = clip.empty();
  if (generated) {
    clip = work / "clip.mp4";
    codec = MakeSlideshow(clip, width, height, seconds, kSlide);
  }
  PinToOneCore();
  double decoded_s = 0;
  int64_t frames = 0;
  const double decode_wall = DecodeOnly(clip, &decoded_s, &frames);
  std::printf("clip: %s (%s), %.1f s, %lld frames\n", clip.c_str(), codec.c_str(), decoded_s,
              static_cast<long long>(frames));
  std::printf("baseline, decode only (every frame, 1 thread): %.2f s wall = %.1fx real time\n",
              decode_wall, decoded_s / decode_wall);

  auto eng = OpenEngine(work / "data");
  const catalog::SourceRecord source = Declare(*eng);
  auto analyzer = eng->NewAnalyzer();
  engine::VideoOptions vo;
  vo.tiling = tiling;
  auto decoder = videoio::VideoDecoder::OpenFile(clip, vo.limits, vo.decode);
  if (!analyzer.ok() || !decoder.ok()) return 1;
  const auto start = Clock::now();
  auto video = engine::AnalyzeVideo(
      [&](vision::AnalyzedFace&& f) { return eng->FaceRecordFor(std::move(f), 1.0); }, **analyzer,
      **decoder, eng->options().analyze, vo, {});
  const double wall = Seconds(start);
  if (!video.ok()) {
    std::fprintf(stderr, "%s\n", video.status().ToString().c_str());
    return 1;
  }
  const auto& t = video->times;
  const double total_ms = t.decode_ms + t.convert_ms + t.detect_ms + t.embed_ms + t.track_ms;
  std::printf(
      "Likeness, default sampling (%.1f fps + cuts): %.2f s wall = %.2fx real time "
      "(%.2f of the decode-only speed)\n",
      vo.sampling.fps, wall, video->decoded_s / wall,
      (video->decoded_s / wall) / (decoded_s / decode_wall));
  std::printf(
      "  frames decoded %lld, sampled %lld (cuts %lld), detections %lld, tracks %lld, "
      "faces kept %zu\n",
      static_cast<long long>(video->frames), static_cast<long long>(video->sampled),
      static_cast<long long>(video->cuts), static_cast<long long>(video->detections),
      static_cast<long long>(video->tracks), video->faces.size());
  std::printf(
      "  per stage (ms, share): decode %.0f (%.0f%%), to BGR %.0f (%.0f%%), detect+align %.0f "
      "(%.0f%%), embed %.0f (%.0f%%), track %.0f (%.0f%%)\n",
      t.decode_ms, 100 * t.decode_ms / total_ms, t.convert_ms, 100 * t.convert_ms / total_ms,
      t.detect_ms, 100 * t.detect_ms / total_ms, t.embed_ms, 100 * t.embed_ms / total_ms,
      t.track_ms, 100 * t.track_ms / total_ms);
  std::printf(
      "  per sampled frame: %.1f ms analysis; per decoded frame: %.2f ms decode\n",
      (t.convert_ms + t.detect_ms + t.embed_ms + t.track_ms) / std::max<int64_t>(1, video->sampled),
      t.decode_ms / std::max<int64_t>(1, video->frames));

  // Store it (through the normal ingest) and search stills taken from the clip.
  auto items = sources::OpenSources({clip});
  engine::IngestOptions io;
  io.jobs = 1;
  io.video = vo;
  auto summary = engine::Ingest(*eng, source, **items, io);
  if (!summary.ok() || summary->totals.images != 1) return 1;
  auto image = eng->catalog().GetImage(1);
  if (!image.ok()) return 1;
  // The slideshow cycles through the six demo photos, so a photo longer than 24 s of clip appears
  // again: its copies are other tracks with the same face (score ~1). Rank-1 by track counts the
  // track on screen when it is the best match or tied with the best (within kTie): the copies
  // elsewhere in the clip are the same pixels, and no search can tell them apart.
  constexpr double kTie = 0.02;
  const double length = *image->duration_s;
  const int appearances = static_cast<int>(length / (6 * kSlide)) + 1;
  int probes = 0, rank1 = 0, strict = 0;
  for (double at = kSlide / 2; at < length; at += kSlide) {
    auto frame = engine::LoadStoredVideoFrame(*image, at, eng->options());
    if (!frame.ok()) continue;
    std::vector<uint8_t> jpeg;
    cv::imencode(".jpg", frame->bgr, jpeg);
    engine::SearchOptions so;
    so.top_k = appearances;
    auto r = engine::SearchProbe(*eng, **analyzer, jpeg, so);
    if (!r.ok()) continue;
    for (const auto& face : r->faces) {
      if (face.quality.overall < eng->options().quality_floor) continue;
      ++probes;
      if (face.matches.empty()) continue;
      const float best = face.matches[0].score;
      for (size_t k = 0; k < face.matches.size(); ++k) {
        const auto& m = face.matches[k];
        if (!m.face.face.video || !m.is_match || m.score < best - kTie) break;
        const auto& v = *m.face.face.video;
        // The right track: on screen at that moment, and its face at the same place.
        const double slack = 1.0 / vo.sampling.fps;
        const bool on_screen = v.track_first_s - slack <= at && at <= v.track_last_s + slack;
        const BoxF& b = m.face.face.box;
        const bool same_place = b.cx() >= face.box.x1 && b.cx() <= face.box.x2 &&
                                b.cy() >= face.box.y1 && b.cy() <= face.box.y2;
        if (on_screen && same_place) {
          ++rank1;
          if (k == 0) ++strict;
          break;
        }
      }
    }
  }
  std::printf(
      "stills from the clip: %d searchable faces, rank-1 by track %d (%.1f%%; the track on screen "
      "first outright: %d, else tied within %.2f with a copy of the same photo elsewhere in the "
      "clip)\n",
      probes, rank1, probes ? 100.0 * rank1 / probes : 0.0, strict, kTie);
  eng.reset();
  fs::remove_all(work);
  return 0;
}

int Memory(int argc, char** argv) {
  double minutes = 10;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--minutes")) minutes = std::atof(argv[i + 1]);
  }
  const fs::path work = fs::temp_directory_path() / ("bench_video_mem_" + std::to_string(getpid()));
  fs::create_directories(work);
  const fs::path clip = work / "long.mp4";
  const auto made = Clock::now();
  const std::string codec = MakeSlideshow(clip, 1280, 720, minutes * 60, 5.0);
  std::printf("made a %.0f-minute 720p video (%s, %.0f MiB) in %.0f s\n", minutes, codec.c_str(),
              fs::file_size(clip) / 1048576.0, Seconds(made));
  PinToOneCore();
  auto eng = OpenEngine(work / "data");
  const catalog::SourceRecord source = Declare(*eng);
  auto items = sources::OpenSources({clip});
  std::map<int, double> rss_at;  // percent of the video -> RSS MiB
  double peak = 0;
  const double total = minutes * 60;
  engine::IngestOptions io;
  io.jobs = 1;
  std::mutex mu;
  io.on_progress = [&](const engine::IngestProgress& p) {
    const double rss = RssMiB();
    std::lock_guard lock(mu);
    peak = std::max(peak, rss);
    const int percent = static_cast<int>(100 * p.video_seconds / total);
    for (int mark : {10, 50, 100}) {
      if (percent >= mark && !rss_at.contains(mark)) rss_at[mark] = rss;
    }
  };
  const auto start = Clock::now();
  auto summary = engine::Ingest(*eng, source, **items, io);
  if (!summary.ok()) return 1;
  const double wall = Seconds(start);
  if (!rss_at.contains(100)) rss_at[100] = RssMiB();
  const auto& s = summary->totals;
  std::printf(
      "ingested %.0f s of video in %.0f s (%.2fx real time), %lld frames, %lld faces kept, "
      "%lld tracks\n",
      s.video_seconds, wall, s.video_seconds / wall, static_cast<long long>(s.video_frames),
      static_cast<long long>(s.faces), static_cast<long long>(s.video_tracks));
  std::printf(
      "RSS MiB: at 10%% %.0f, at 50%% %.0f, at 100%% %.0f, peak %.0f; growth 10%%->100%%: "
      "%+.1f%%\n",
      rss_at[10], rss_at[50], rss_at[100], peak, 100 * (rss_at[100] - rss_at[10]) / rss_at[10]);
  eng.reset();
  fs::remove_all(work);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "rtf";
  if (mode == "rtf") return Rtf(argc, argv);
  if (mode == "memory") return Memory(argc, argv);
  std::fprintf(stderr, "usage: bench_video rtf|memory [options]\n");
  return 2;
}
