// Issue 13: each face model's forward pass alone, OpenCV DNN against the fast (oneDNN) backend, on
// one thread, in the same process: rounds interleave the two backends and the best round counts
// (the machine may be shared; the load average is printed with every figure). Prints ms per item,
// GFLOP/s (graph FLOPs, inference::CountFlopsPerItem) and the ratio fast / opencv, for batch 1, the
// detector at batch 8 (a tile pyramid in one call; OpenCV DNN cannot run the detector batched) and
// the embedder at batches 4 and 16.
//
//   bench_models MODEL_DIR [ROUNDS=5] [SGEMM_PEAK_GFLOPS]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <string>

#include "vision/inference/model.h"
#include "vision/model_manifest.h"

using namespace likeness::vision;

namespace {

double Load1() {
  std::ifstream in("/proc/loadavg");
  double l = 0;
  in >> l;
  return l;
}

// Best ms per item over `reps` calls.
double TimeRun(inference::Model& m, const cv::Mat& blob, int reps) {
  std::vector<cv::Mat> out;
  if (!m.Run(blob, out).ok()) return -1;  // warm-up (plans, allocations)
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    if (!m.Run(blob, out).ok()) return -1;
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    best = std::min(best, ms);
  }
  return best / blob.size[0];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_models MODEL_DIR [ROUNDS] [SGEMM_PEAK_GFLOPS]\n");
    return 2;
  }
  cv::setNumThreads(1);
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);  // the batch-8 refusal
  const std::string dir = argv[1];
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  const double peak = argc > 3 ? std::atof(argv[3]) : 0;
  auto manifest = BuiltinManifest();
  if (!manifest.ok()) return 1;
  auto verified = LoadVerifiedModels(*manifest, dir);
  if (!verified.ok()) {
    std::fprintf(stderr, "%s\n", verified.status().ToString().c_str());
    return 1;
  }
  const auto& m = verified->manifest;
  struct Case {
    const char* name;
    inference::ModelRequest request;
    int batch;
  };
  const Case cases[] = {
      {"detector",
       {verified->Path(m.detector.file),
        {"scores", "boxes"},
        3,
        m.detector.input_height,
        m.detector.input_width},
       1},
      {"detector",
       {verified->Path(m.detector.file),
        {"scores", "boxes"},
        3,
        m.detector.input_height,
        m.detector.input_width},
       8},
      {"landmarks",
       {verified->Path(m.landmarks.file), {}, 1, m.landmarks.input_size, m.landmarks.input_size},
       1},
      {"embedder",
       {verified->Path(m.embedder.file), {}, 3, m.embedder.input_size, m.embedder.input_size},
       1},
      {"embedder",
       {verified->Path(m.embedder.file), {}, 3, m.embedder.input_size, m.embedder.input_size},
       4},
      {"embedder",
       {verified->Path(m.embedder.file), {}, 3, m.embedder.input_size, m.embedder.input_size},
       16},
  };
  std::printf(
      "model      batch  GFLOP/item  opencv ms (GFLOP/s)  fast fp32 ms (GFLOP/s)  fast bf16 ms "
      "(GFLOP/s)  fp32/opencv  bf16/opencv  bf16 vs fp32 (min cosine)  load%s\n",
      peak > 0 ? "  fp32 % of sgemm peak" : "");
  for (const Case& c : cases) {
    inference::ModelRequest bf16_request = c.request;
    bf16_request.bf16 = true;
    auto ref = inference::LoadOpenCvModel(c.request);
    auto fast = inference::LoadFastModel(c.request);
    auto bf16 = inference::LoadFastModel(bf16_request);
    if (!ref.ok() || !fast.ok() || !bf16.ok()) {
      std::printf("%-9s  %5d  not run: %s\n", c.name, c.batch,
                  (!ref.ok()    ? ref.status()
                   : !fast.ok() ? fast.status()
                                : bf16.status())
                      .ToString()
                      .c_str());
      continue;
    }
    const int shape[] = {c.batch, c.request.channels, c.request.height, c.request.width};
    cv::Mat blob(4, shape, CV_32F);
    cv::randu(blob, -1.0, 1.0);
    const int reps = c.batch == 1 ? 20 : 3;
    double best_ref = 1e30, best_fast = 1e30, best_bf16 = 1e30, load = 0;
    for (int r = 0; r < rounds; ++r) {
      const double l = Load1();
      double t = TimeRun(**ref, blob, reps);
      if (t > 0 && t < best_ref) best_ref = t;
      t = TimeRun(**fast, blob, reps);
      if (t > 0 && t < best_fast) best_fast = t, load = l;
      t = TimeRun(**bf16, blob, reps);
      if (t > 0 && t < best_bf16) best_bf16 = t;
    }
    // How far bf16 moves the outputs: the smallest cosine between an item's fp32 and bf16 output
    // rows (random input: a stress case; the accuracy gates use real faces, bench/README.md).
    std::vector<cv::Mat> out32, out16;
    double min_cos = 1;
    if ((*fast)->Run(blob, out32).ok() && (*bf16)->Run(blob, out16).ok()) {
      for (size_t k = 0; k < out32.size(); ++k) {
        const cv::Mat a = out32[k].reshape(1, c.batch), b = out16[k].reshape(1, c.batch);
        for (int i = 0; i < c.batch; ++i) {
          const double cosine =
              a.row(i).dot(b.row(i)) / (cv::norm(a.row(i)) * cv::norm(b.row(i)) + 1e-30);
          min_cos = std::min(min_cos, cosine);
        }
      }
    }
    const double gflop = (*fast)->flops_per_item() / 1e9;
    char ref_col[32] = "     n/a (     -)", ratio[16] = "      -";
    if (best_ref < 1e29) {  // else OpenCV DNN cannot run this batch (the graph reshapes to 1)
      std::snprintf(ref_col, sizeof ref_col, "%8.2f (%6.1f)", best_ref, gflop / best_ref * 1e3);
      std::snprintf(ratio, sizeof ratio, "%6.2fx", best_ref / best_fast);
    }
    char bf16_ratio[16] = "      -";
    if (best_ref < 1e29)
      std::snprintf(bf16_ratio, sizeof bf16_ratio, "%6.2fx", best_ref / best_bf16);
    std::printf(
        "%-9s  %5d  %10.3f  %s     %8.2f (%6.1f)         %8.2f (%6.1f)         %s      %s   "
        "     %.6f            %.1f",
        c.name, c.batch, gflop, ref_col, best_fast, gflop / best_fast * 1e3, best_bf16,
        gflop / best_bf16 * 1e3, ratio, bf16_ratio, min_cos, load);
    if (peak > 0) std::printf("   %5.1f %%", 100 * gflop / best_fast * 1e3 / peak);
    std::printf("\n");
  }
  return 0;
}
