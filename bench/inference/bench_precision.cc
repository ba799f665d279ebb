// Issue 13: what bf16 does to results. Analyses every image under the given folders (recursively;
// jpg/png/pgm) with an fp32 and a bf16 FaceAnalyzer (fast backend, same process) and compares:
// faces found by one and not the other, box movement, and the cosine between each face's fp32
// and bf16 embedding (the gate: mean >= 0.99). The accuracy gates of `bench pairs` / `bench
// identify` are run by the CLI with --precision fp32 and bf16 (bench/README.md).
//
//   bench_precision MODEL_DIR FOLDER [FOLDER...]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "vision/face_analyzer.h"
#include "vision/model_manifest.h"

using namespace likeness::vision;
namespace fs = std::filesystem;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_precision MODEL_DIR FOLDER [FOLDER...]\n");
    return 2;
  }
  auto manifest = BuiltinManifest();
  if (!manifest.ok()) return 1;
  auto models = LoadVerifiedModels(*manifest, argv[1]);
  if (!models.ok()) {
    std::fprintf(stderr, "%s\n", models.status().ToString().c_str());
    return 1;
  }
  auto fp32 = FaceAnalyzer::Create(*models, inference::Backend::kFast, inference::Precision::kFp32);
  auto bf16 = FaceAnalyzer::Create(*models, inference::Backend::kFast, inference::Precision::kBf16);
  if (!fp32.ok() || !bf16.ok()) {
    std::fprintf(stderr, "%s\n", (!fp32.ok() ? fp32.status() : bf16.status()).ToString().c_str());
    return 1;
  }
  std::printf("native bf16 (AVX-512 BF16): %s\n",
              inference::NativeBf16() ? "yes" : "no (emulated)");
  std::vector<fs::path> files;
  for (int a = 2; a < argc; ++a) {
    for (const auto& e : fs::recursive_directory_iterator(argv[a])) {
      const std::string ext = e.path().extension().string();
      if (e.is_regular_file() &&
          (ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".pgm"))
        files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  size_t images = 0, faces32 = 0, faces16 = 0, matched = 0;
  double sum_cos = 0, min_cos = 1, max_box = 0;
  std::vector<double> cosines;
  for (size_t i = 0; i < files.size(); ++i) {
    const cv::Mat bgr = cv::imread(files[i].string(), cv::IMREAD_COLOR);
    if (bgr.empty()) continue;
    auto a = (*fp32)->Analyze(bgr);
    auto b = (*bf16)->Analyze(bgr);
    if (!a.ok() || !b.ok()) continue;
    ++images;
    faces32 += a->size();
    faces16 += b->size();
    for (const auto& x : *a) {
      // The bf16 face at the same place (largest IoU, at least 0.5).
      const AnalyzedFace* best = nullptr;
      float best_iou = 0.5f;
      for (const auto& y : *b) {
        const float iou = IoU(x.box, y.box);
        if (iou >= best_iou) best_iou = iou, best = &y;
      }
      if (!best) continue;
      ++matched;
      double dot = 0;
      for (size_t k = 0; k < x.embedding.size(); ++k) dot += x.embedding[k] * best->embedding[k];
      sum_cos += dot;
      min_cos = std::min(min_cos, dot);
      cosines.push_back(dot);
      max_box = std::max({max_box, double(std::abs(x.box.x1 - best->box.x1)),
                          double(std::abs(x.box.y1 - best->box.y1)),
                          double(std::abs(x.box.x2 - best->box.x2)),
                          double(std::abs(x.box.y2 - best->box.y2))});
    }
    if ((i + 1) % 100 == 0) std::fprintf(stderr, "\r%zu / %zu images", i + 1, files.size());
  }
  std::fprintf(stderr, "\n");
  std::sort(cosines.begin(), cosines.end());
  const double p1 = cosines.empty() ? 0 : cosines[cosines.size() / 100];
  std::printf(
      "images %zu  faces fp32 %zu  bf16 %zu  matched %zu\n"
      "embedding cosine bf16 vs fp32: mean %.6f  1st percentile %.6f  min %.6f\n"
      "largest box corner movement: %.2f px\n",
      images, faces32, faces16, matched, matched ? sum_cos / matched : 0.0, p1, min_cos, max_box);
  return 0;
}
