// False-reject rate of the legitimate public self-check, before and after the still-photo
// hardening (issue 11), measured with the real models in one process:
//  - the e2e clip: ORL s39 facing the camera then turning to their left (photos 5 9 2 8 7 8, each
//    held for two camera-like frames with their own noise), challenge turn-left, as
//    tests/e2e/selfcheck_e2e.mjs feeds Chromium's fake camera;
//  - ORL pose sequences: for each of the 40 ORL people, their most frontal photo, then their
//    photos on the side they turn most, in increasing turn, each held two frames; the challenge is
//    that side's turn;
//  - the Yale blink clip (subject11 eyes open, closed, open) for the blink challenge.
// "Before" is DecideChallenge with LivenessThresholds::hardened = false, "after" the default.
// Also prints the decision time with and without the hardening.
//
// Usage: bench_selfcheck_frr [--faces-dev DIR] [--models DIR]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "governance/selfcheck_liveness.h"
#include "imageio/decode.h"
#include "testing/camera_frame.h"

namespace fs = std::filesystem;
using namespace likeness;
using governance::ChallengeKind;
using governance::FrameMeasure;

namespace {

// Any format the engine reads (Yale's are GIFs without an extension), as grey.
cv::Mat ReadGrey(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
  auto img = imageio::DecodeImage(bytes);
  if (!img.ok()) return {};
  cv::Mat grey;
  cv::cvtColor(img->bgr, grey, cv::COLOR_BGR2GRAY);
  return grey;
}

std::vector<uint8_t> CameraFrame(const cv::Mat& grey, uint32_t seed) {
  std::mt19937 rng(seed);
  return likeness::testing::CameraLikeJpeg(grey, rng);
}

struct Bench {
  engine::Engine& eng;
  vision::FaceAnalyzer& analyzer;
  vision::LivenessModels& models;
  uint32_t seed = 1;
  int measured = 0;

  // Each photo held for two frames, each frame with its own noise.
  std::vector<FrameMeasure> Clip(const std::vector<fs::path>& photos) {
    std::vector<FrameMeasure> out;
    for (const auto& p : photos) {
      cv::Mat grey = ReadGrey(p);
      if (grey.empty()) {
        std::fprintf(stderr, "cannot read %s\n", p.c_str());
        std::exit(1);
      }
      for (int h = 0; h < 2; ++h) {
        auto m = governance::MeasureFrame(eng, analyzer, models, CameraFrame(grey, seed++));
        if (!m.ok()) {
          std::fprintf(stderr, "%s: %s\n", p.c_str(), m.status().ToString().c_str());
          std::exit(1);
        }
        ++measured;
        out.push_back(std::move(*m));
      }
    }
    return out;
  }
};

struct Tally {
  int n = 0, before = 0, after = 0, both = 0;  // passes
  double before_ms = 0, after_ms = 0;
  void Add(const std::vector<FrameMeasure>& frames, ChallengeKind kind, const char* name,
           bool verbose) {
    governance::LivenessThresholds soft;
    soft.hardened = false;
    auto t0 = std::chrono::steady_clock::now();
    const auto b = governance::DecideChallenge(frames, kind, soft);
    auto t1 = std::chrono::steady_clock::now();
    const auto a = governance::DecideChallenge(frames, kind);
    auto t2 = std::chrono::steady_clock::now();
    before_ms += std::chrono::duration<double, std::milli>(t1 - t0).count();
    after_ms += std::chrono::duration<double, std::milli>(t2 - t1).count();
    ++n;
    before += b.live;
    after += a.live;
    both += b.live && a.live;
    if (verbose || (b.live && !a.live)) {
      std::printf("  %-22s %-10s before %-4s after %-4s%s%s (lowest warp corr %.3f)\n", name,
                  std::string(governance::ChallengeName(kind)).c_str(), b.live ? "pass" : "FAIL",
                  a.live ? "pass" : "FAIL", a.live ? "" : ": ", a.live ? "" : a.reason.c_str(),
                  a.max_warp_corr);
    }
  }
  void Print(const char* what) const {
    std::printf(
        "%-26s %3d sequences  FRR before %5.1f %% (%d)  after %5.1f %% (%d)  rejected only by "
        "the hardening: %d of %d passing before  decide %.2f ms -> %.2f ms per sequence\n",
        what, n, n ? 100.0 * (n - before) / n : 0.0, n - before, n ? 100.0 * (n - after) / n : 0.0,
        n - after, before - both, before, n ? before_ms / n : 0.0, n ? after_ms / n : 0.0);
  }
};

}  // namespace

int main(int argc, char** argv) {
  fs::path dev = "../shared/data/faces-dev";
  fs::path models_dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--faces-dev")) dev = argv[i + 1];
    if (!std::strcmp(argv[i], "--models")) models_dir = argv[i + 1];
  }
  if (!fs::exists(dev / "orl")) {
    std::printf("faces-dev/orl not found at %s: nothing to measure\n", dev.c_str());
    return 0;
  }
  engine::EngineOptions options;
  options.data_dir =
      fs::temp_directory_path() / ("likeness-bench-selfcheck-" + std::to_string(::getpid()));
  if (!models_dir.empty()) options.model_dir = models_dir;
  auto eng = engine::Engine::Open(options);
  if (!eng.ok()) {
    std::fprintf(stderr, "%s\n", eng.status().ToString().c_str());
    return 1;
  }
  auto analyzer = (*eng)->NewAnalyzer();
  auto models = vision::LivenessModels::Create((*eng)->models());
  if (!analyzer.ok() || !models.ok()) {
    std::fprintf(stderr, "cannot create the models\n");
    return 1;
  }
  Bench b{**eng, **analyzer, **models};
  const fs::path orl = dev / "orl";
  const governance::LivenessThresholds t;

  std::printf("e2e clip (ORL s39 5 9 2 8 7 8, two frames each, turn-left):\n");
  Tally e2e;
  {
    std::vector<fs::path> photos;
    for (int i : {5, 9, 2, 8, 7, 8}) photos.push_back(orl / "s39" / (std::to_string(i) + ".pgm"));
    e2e.Add(b.Clip(photos), ChallengeKind::kTurnLeft, "s39", true);
  }

  std::printf("ORL pose sequences (most frontal photo, then the side turned most):\n");
  Tally pose;
  for (int s = 1; s <= 40; ++s) {
    const fs::path dir = orl / ("s" + std::to_string(s));
    // Pose of each photo from one camera-like frame.
    std::vector<std::pair<float, int>> yaw;
    for (int i = 1; i <= 10; ++i) {
      cv::Mat grey = ReadGrey(dir / (std::to_string(i) + ".pgm"));
      auto m = governance::MeasureFrame(**eng, **analyzer, **models, CameraFrame(grey, 999));
      ++b.measured;
      if (m.ok() && m->faces == 1) yaw.push_back({m->yaw_deg, i});
    }
    if (yaw.size() < 3) continue;
    const auto frontal = *std::min_element(yaw.begin(), yaw.end(), [](auto a, auto c) {
      return std::fabs(a.first) < std::fabs(c.first);
    });
    std::vector<std::pair<float, int>> up, down;
    for (const auto& y : yaw) {
      if (y.second == frontal.second) continue;
      (y.first > frontal.first ? up : down).push_back(y);
    }
    std::sort(up.begin(), up.end());
    std::sort(down.begin(), down.end(), [](auto a, auto c) { return a.first > c.first; });
    const float up_range = up.empty() ? 0 : up.back().first - frontal.first;
    const float down_range = down.empty() ? 0 : frontal.first - down.back().first;
    auto& side = up_range >= down_range ? up : down;
    if (side.size() > 4)
      side.erase(side.begin(), side.end() - 4);  // the four most turned, in order
    std::vector<fs::path> photos = {dir / (std::to_string(frontal.second) + ".pgm")};
    for (const auto& y : side) photos.push_back(dir / (std::to_string(y.second) + ".pgm"));
    // Yaw rises when the subject turns to their right (left_turn_yaw_sign = -1).
    const bool rising = up_range >= down_range;
    const ChallengeKind kind = (rising == (t.left_turn_yaw_sign < 0)) ? ChallengeKind::kTurnRight
                                                                      : ChallengeKind::kTurnLeft;
    pose.Add(b.Clip(photos), kind, ("s" + std::to_string(s)).c_str(), false);
  }

  Tally blink;
  if (fs::exists(dev / "yale" / "subject11.normal")) {
    std::printf("Yale blink clip (subject11 normal normal sleepy sleepy normal normal):\n");
    std::vector<fs::path> photos;
    for (const char* c : {"normal", "sleepy", "normal"}) {
      photos.push_back(dev / "yale" / (std::string("subject11.") + c));
    }
    blink.Add(b.Clip(photos), ChallengeKind::kBlink, "yale subject11", true);
  }
  std::printf("\n");
  e2e.Print("e2e clip");
  pose.Print("ORL pose sequences");
  if (blink.n) blink.Print("Yale blink clip");
  std::printf("(%d frames measured)\n", b.measured);
  std::error_code ec;
  fs::remove_all(options.data_dir, ec);
  return 0;
}
