#include "eval/speed.h"

#include <atomic>
#include <chrono>
#include <thread>

#include "vision/embed_queue.h"

namespace likeness::eval {
using Clock = std::chrono::steady_clock;

namespace {
struct Pending {
  vision::AlignedFaces faces;
};
}  // namespace

Result<StageReport> MeasureThroughput(const std::vector<std::filesystem::path>& files,
                                      const EmbedOptions& options,
                                      const ThroughputOptions& throughput) {
  ASSIGN_OR_RETURN(auto analyzers, CreateAnalyzers(options));
  vision::AnalyzeOptions analyze = options.analyze;
  if (throughput.embed_batch > 0) analyze.embed_batch = throughput.embed_batch;
  vision::EmbedQueue<Pending> queue(throughput.embed_batch);
  std::atomic<size_t> next{0};
  std::atomic<int64_t> decode_us{0}, no_face{0}, failed{0};
  const auto start = Clock::now();
  auto embed = [&](vision::FaceAnalyzer* analyzer, std::vector<std::unique_ptr<Pending>> group) {
    if (group.empty() || !analyze.embed) return;
    std::vector<vision::AlignedFaces*> faces;
    for (auto& g : group) faces.push_back(&g->faces);
    if (!analyzer->EmbedFaces(faces, analyze).ok()) failed += static_cast<int64_t>(group.size());
  };
  auto work = [&](vision::FaceAnalyzer* analyzer) {
    for (size_t i = next.fetch_add(1); i < files.size(); i = next.fetch_add(1)) {
      const auto t0 = Clock::now();
      auto bytes = imageio::ReadFileBytes(files[i]);
      Result<imageio::DecodedImage> image = bytes.ok()
                                                ? imageio::DecodeImage(*bytes, throughput.decode)
                                                : Result<imageio::DecodedImage>(bytes.status());
      decode_us += std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
      if (!image.ok()) {
        ++failed;
        continue;
      }
      auto faces = analyzer->DetectAndAlign(image->bgr, analyze);
      if (!faces.ok()) {
        ++failed;
        continue;
      }
      if (faces->faces.empty()) {
        ++no_face;
        continue;
      }
      auto pending = std::make_unique<Pending>(Pending{std::move(*faces)});
      std::vector<std::unique_ptr<Pending>> group;
      if (throughput.embed_batch > 0) {
        group = queue.Add(std::move(pending));
      } else {
        group.push_back(std::move(pending));
      }
      embed(analyzer, std::move(group));
    }
    embed(analyzer, queue.TakeAll());
  };
  {
    std::vector<std::jthread> threads;
    for (auto& a : analyzers) threads.emplace_back(work, a.get());
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  StageReport r;
  r.images = static_cast<int64_t>(files.size());
  r.no_face = no_face;
  r.failed = failed;
  vision::StageTimes t;
  for (const auto& a : analyzers) {
    t.detect_ms += a->times().detect_ms;
    t.landmarks_ms += a->times().landmarks_ms;
    t.align_ms += a->times().align_ms;
    t.embed_ms += a->times().embed_ms;
    const auto info = a->inference_info();
    if (r.models.empty()) {
      r.models = info;
      continue;
    }
    for (size_t i = 0; i < info.size() && i < r.models.size(); ++i) {
      r.models[i].stats.calls += info[i].stats.calls;
      r.models[i].stats.items += info[i].stats.items;
      r.models[i].stats.ms += info[i].stats.ms;
    }
  }
  const double n = static_cast<double>(std::max<int64_t>(1, r.images));
  r.decode_ms = decode_us.load() / 1000.0 / n;
  r.detect_ms = t.detect_ms / n;
  r.landmarks_ms = t.landmarks_ms / n;
  r.align_ms = t.align_ms / n;
  r.embed_ms = t.embed_ms / n;
  r.images_per_s = seconds > 0 ? r.images / seconds : 0;
  return r;
}

}  // namespace likeness::eval
