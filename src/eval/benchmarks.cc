#include "eval/benchmarks.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "eval/identify_scoring.h"
#include "imageio/decode.h"

namespace likeness::eval {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

Result<std::vector<std::unique_ptr<vision::FaceAnalyzer>>> CreateAnalyzers(
    const EmbedOptions& options) {
  ASSIGN_OR_RETURN(auto manifest, vision::BuiltinManifest());
  ASSIGN_OR_RETURN(auto models, vision::LoadVerifiedModels(manifest, options.model_dir.empty()
                                                                         ? vision::DefaultModelDir()
                                                                         : options.model_dir));
  const int jobs = std::max(1, options.jobs);
  std::vector<std::unique_ptr<vision::FaceAnalyzer>> analyzers;
  for (int i = 0; i < jobs; ++i) {
    ASSIGN_OR_RETURN(auto a, vision::FaceAnalyzer::Create(models));
    analyzers.push_back(std::move(a));
  }
  return analyzers;
}

int PickLabelledFace(const std::vector<vision::AnalyzedFace>& faces, int width, int height) {
  float largest = 0;
  for (const auto& f : faces) largest = std::max(largest, std::min(f.box.width(), f.box.height()));
  int best = -1;
  double best_d = 0;
  for (size_t i = 0; i < faces.size(); ++i) {
    const auto& b = faces[i].box;
    if (std::min(b.width(), b.height()) < 0.5f * largest) continue;
    const double dx = b.cx() - width / 2.0, dy = b.cy() - height / 2.0;
    const double d = dx * dx + dy * dy;
    if (best < 0 || d < best_d) best = static_cast<int>(i), best_d = d;
  }
  return best;
}

Result<std::map<fs::path, FileEmbedding>> EmbedFiles(const std::vector<fs::path>& files,
                                                     const EmbedOptions& options,
                                                     StageReport* report) {
  std::vector<fs::path> unique(files);
  std::sort(unique.begin(), unique.end());
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
  ASSIGN_OR_RETURN(auto analyzers, CreateAnalyzers(options));
  std::map<fs::path, FileEmbedding> out;
  std::mutex mu;
  std::atomic<size_t> next{0};
  std::atomic<int64_t> decode_us{0};
  const auto start = Clock::now();
  auto work = [&](vision::FaceAnalyzer* analyzer) {
    for (size_t i = next.fetch_add(1); i < unique.size(); i = next.fetch_add(1)) {
      FileEmbedding fe;
      const auto t0 = Clock::now();
      auto bytes = imageio::ReadFileBytes(unique[i]);
      Result<imageio::DecodedImage> image =
          bytes.ok() ? imageio::DecodeImage(*bytes) : bytes.status();
      decode_us += std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
      if (!image.ok()) {
        fe.error = image.status().ToString();
      } else {
        auto faces = analyzer->Analyze(image->bgr, options.analyze);
        if (!faces.ok()) {
          fe.error = faces.status().ToString();
        } else {
          const int pick = PickLabelledFace(*faces, image->bgr.cols, image->bgr.rows);
          if (pick >= 0) {
            fe.quality = (*faces)[pick].quality.overall;
            fe.embedding = std::move((*faces)[pick].embedding);
          }
        }
      }
      std::lock_guard lock(mu);
      out[unique[i]] = std::move(fe);
    }
  };
  {
    std::vector<std::jthread> threads;
    for (auto& a : analyzers) threads.emplace_back(work, a.get());
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (report) {
    StageReport r;
    r.images = static_cast<int64_t>(unique.size());
    vision::StageTimes t;
    for (const auto& a : analyzers) {
      t.detect_ms += a->times().detect_ms;
      t.landmarks_ms += a->times().landmarks_ms;
      t.align_ms += a->times().align_ms;
      t.embed_ms += a->times().embed_ms;
    }
    const double n = std::max<int64_t>(1, r.images);
    r.decode_ms = decode_us.load() / 1000.0 / n;
    r.detect_ms = t.detect_ms / n;
    r.landmarks_ms = t.landmarks_ms / n;
    r.align_ms = t.align_ms / n;
    r.embed_ms = t.embed_ms / n;
    r.images_per_s = seconds > 0 ? r.images / seconds : 0;
    for (const auto& [path, fe] : out) {
      if (!fe.error.empty())
        ++r.failed;
      else if (fe.embedding.empty())
        ++r.no_face;
    }
    *report = r;
  }
  return out;
}

static float Dot(const Embedding& a, const Embedding& b) {
  double s = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return static_cast<float>(s);
}

Result<PairsReport> RunPairsBenchmark(const std::vector<LabelledPair>& pairs,
                                      const EmbedOptions& options) {
  std::vector<fs::path> files;
  for (const auto& p : pairs) files.push_back(p.a), files.push_back(p.b);
  PairsReport report;
  ASSIGN_OR_RETURN(auto emb, EmbedFiles(files, options, &report.stages));
  std::vector<ScoredPair> scored;
  for (const auto& p : pairs) {
    const auto& a = emb[p.a].embedding;
    const auto& b = emb[p.b].embedding;
    ScoredPair s{kNoFaceScore, p.same, p.fold};
    if (a.empty() || b.empty())
      ++report.pairs_missing_face;
    else
      s.score = Dot(a, b);
    scored.push_back(s);
  }
  report.metrics = ComputeVerification(scored);
  return report;
}

Result<IdentifyReport> RunIdentifyBenchmark(const std::vector<IdentityImages>& identities,
                                            const EmbedOptions& options,
                                            const IdentifyOptions& identify) {
  std::vector<fs::path> files;
  for (const auto& id : identities) files.insert(files.end(), id.images.begin(), id.images.end());
  IdentifyReport report;
  ASSIGN_OR_RETURN(auto emb, EmbedFiles(files, options, &report.stages));
  std::vector<GalleryTemplate> gallery;
  std::vector<Probe> probes;
  for (size_t i = 0; i < identities.size(); ++i) {
    const auto& id = identities[i];
    if (id.images.size() >= 2)
      ++report.identities;
    else
      ++report.distractors;
    std::vector<const FileEmbedding*> usable;  // no face: counted in stages.no_face
    for (const auto& path : id.images)
      if (!emb[path].embedding.empty()) usable.push_back(&emb[path]);
    if (usable.empty()) continue;
    const size_t enrol =
        usable.size() == 1
            ? 1
            : std::clamp<size_t>(static_cast<size_t>(std::max(1, identify.templates)), 1,
                                 usable.size() - 1);
    std::vector<const Embedding*> parts;
    std::vector<float> weights;
    for (size_t k = 0; k < enrol; ++k) {
      parts.push_back(&usable[k]->embedding);
      weights.push_back(identify.quality_weighted ? usable[k]->quality : 1.0f);
    }
    gallery.push_back({static_cast<int>(i), WeightedTemplate(parts, weights)});
    for (size_t k = enrol; k < usable.size(); ++k)
      probes.push_back({static_cast<int>(i), &usable[k]->embedding});
  }
  const auto n = static_cast<int64_t>(gallery.size());
  report.metrics = ComputeIdentification(
      ScoreProbes(gallery, probes, ScoreKind::kRawCosine, identify.hubness_k), n);
  report.hubness = ComputeIdentification(
      ScoreProbes(gallery, probes, ScoreKind::kHubness, identify.hubness_k), n);
  return report;
}

}  // namespace likeness::eval
