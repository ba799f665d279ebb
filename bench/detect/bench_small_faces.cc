// Issue 13: recall of small faces with and without the small-face level, on synthetic 1920x1080
// scenes built from the dev sets' photos (small_face_scenes.h), and the faces found on the six
// demo group photos (no ground truth there: a flood of false positives would show). Three
// detectors, run on every scene in turn in the same process:
//   (a) today's pyramid to --min-face 24, small-face level off;
//   (b) the same with the small-face level (AnalyzeOptions::small_faces);
//   (c) for reference, the pyramid to 16 px over the whole frame (min_face_px = 16).
// A true face counts as found when a detection has IoU >= 0.4 with it or its centre inside it;
// a detection matching no true face is a false positive.
//
//   bench_small_faces --root DIR [--models DIR] [--demo DIR] [--scenes N] [--seed S] [--draw DIR]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <optional>

#include "imageio/decode.h"
#include "small_face_scenes.h"
#include "vision/face_analyzer.h"

using namespace likeness;
namespace fs = std::filesystem;

namespace {

struct Config {
  const char* name;
  vision::AnalyzeOptions options;
};

constexpr float kBins[] = {12, 16, 20, 24, 32, 48, 1e9f};
constexpr int kNumBins = 6;
const char* const kBinNames[] = {"12-16", "16-20", "20-24", "24-32", "32-48", ">48"};

int BinOf(float width) {
  for (int b = 0; b < kNumBins; ++b) {
    if (width < kBins[b + 1]) return b;
  }
  return kNumBins - 1;
}

struct Tally {
  int truth[kNumBins] = {}, found[kNumBins] = {};
  int false_pos = 0, scenes = 0;
  double ms = 0;
  int64_t small_tiles = 0;
};

bool Matches(const BoxF& det, const BoxF& truth) {
  return vision::IoU(det, truth) >= 0.4f || (det.cx() >= truth.x1 && det.cx() <= truth.x2 &&
                                             det.cy() >= truth.y1 && det.cy() <= truth.y2);
}

std::optional<cv::Mat> Load(const fs::path& path) {
  auto bytes = imageio::ReadFileBytes(path);
  if (!bytes.ok()) return std::nullopt;
  auto image = imageio::DecodeImage(*bytes);
  if (!image.ok()) return std::nullopt;
  return image->bgr;
}

std::string Flag(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == name) return argv[i + 1];
  }
  return fallback;
}

double Load1() {
  std::ifstream in("/proc/loadavg");
  double l = 0;
  in >> l;
  return l;
}

}  // namespace

int main(int argc, char** argv) {
  cv::setNumThreads(1);
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
  const std::string home = std::getenv("HOME") ? std::getenv("HOME") : ".";
  const fs::path root = Flag(argc, argv, "--root", "");
  const fs::path models_dir = Flag(argc, argv, "--models", home + "/.cache/likeness/models");
  const fs::path demo_dir = Flag(argc, argv, "--demo", home + "/.cache/likeness/demo");
  const int scenes_per_kind = std::atoi(Flag(argc, argv, "--scenes", "20").c_str());
  const unsigned seed = static_cast<unsigned>(std::atoi(Flag(argc, argv, "--seed", "13").c_str()));
  const std::string draw_dir = Flag(argc, argv, "--draw", "");
  if (root.empty() || !fs::is_directory(root)) {
    std::fprintf(stderr,
                 "usage: bench_small_faces --root FACES_DEV [--models DIR] [--demo DIR] "
                 "[--scenes N] [--seed S] [--draw DIR]\n");
    return 2;
  }
  auto manifest = vision::BuiltinManifest();
  if (!manifest.ok()) return 1;
  auto verified = vision::LoadVerifiedModels(*manifest, models_dir);
  if (!verified.ok()) {
    std::fprintf(stderr, "%s\n", verified.status().ToString().c_str());
    return 1;
  }
  auto created = vision::FaceAnalyzer::Create(*verified);
  if (!created.ok()) return 1;
  vision::FaceAnalyzer& analyzer = **created;

  Config configs[3] = {
      {"(a) pyramid to 24 px", {}}, {"(b) + small-face level", {}}, {"(c) pyramid to 16 px", {}}};
  configs[0].options.small_faces = false;
  configs[1].options.small_faces = true;
  configs[2].options.small_faces = false;
  configs[2].options.min_face_px = 16;

  // Faces: one clear face (>= 48 px, score >= 0.9) per dev-set photo, at most 40 per set.
  std::vector<bench::FacePatch> faces;
  const char* const sets[] = {"deepface", "face_recognition", "facenet-pytorch", "openface", "orl",
                              "yale"};
  for (const char* set : sets) {
    std::ifstream labels(root / set / "labels.csv");
    std::string line;
    std::getline(labels, line);  // header
    int taken = 0;
    while (std::getline(labels, line) && taken < 40) {
      const std::string file = line.substr(0, line.find(','));
      const auto photo = Load(root / set / file);
      if (!photo) continue;
      auto found = analyzer.Detect(*photo, configs[0].options);
      if (!found.ok() || found->size() != 1) continue;
      const auto& f = found->front();
      if (f.box.width() < 48 || f.score < 0.9f) continue;
      faces.push_back(bench::CutPatch(*photo, f.box, std::string(set) + "/" + file));
      ++taken;
    }
    std::fprintf(stderr, "faces from %s: %d\n", set, taken);
  }
  // Backgrounds: the demo photos with every face found down to 12 px blurred away.
  std::vector<bench::Background> backs;
  std::vector<std::pair<std::string, cv::Mat>> demos;
  for (int i = 1; i <= 6; ++i) {
    const std::string name = "sample" + std::to_string(i) + ".jpg";
    const auto photo = Load(demo_dir / name);
    if (!photo) continue;
    vision::AnalyzeOptions mask_options;
    mask_options.min_face_px = 12;
    mask_options.score_threshold = 0.5f;
    auto found = analyzer.Detect(*photo, mask_options);
    if (!found.ok()) return 1;
    std::vector<BoxF> boxes;
    for (const auto& f : *found) boxes.push_back(f.box);
    backs.push_back(bench::MaskFaces(*photo, boxes, name));
    demos.emplace_back(name, *photo);
  }
  if (faces.empty() || backs.empty()) {
    std::fprintf(stderr, "no faces under --root or no demo photos under --demo\n");
    return 1;
  }
  std::printf("%zu faces from the dev sets, %zu backgrounds, %d scenes per kind, seed %u\n",
              faces.size(), backs.size(), scenes_per_kind, seed);

  std::mt19937 rng(seed);
  std::map<std::string, Tally> tallies[3];  // per config: kind -> tally
  const int total = 2 * scenes_per_kind;
  for (int s = 0; s < total; ++s) {
    const bool crowd = s % 2 == 0;
    const bench::Scene scene = crowd ? bench::MakeCrowdScene(faces, backs, 3, 8, rng)
                                     : bench::MakeIsolatedScene(faces, backs, 8, rng);
    for (int c = 0; c < 3; ++c) {
      Tally& t = tallies[c][scene.kind];
      const auto before = analyzer.times();
      const auto t0 = std::chrono::steady_clock::now();
      auto found = analyzer.Detect(scene.bgr, configs[c].options);
      t.ms +=
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (!found.ok()) {
        std::fprintf(stderr, "%s\n", found.status().ToString().c_str());
        return 1;
      }
      t.small_tiles += analyzer.times().small_face_tiles - before.small_face_tiles;
      t.scenes += 1;
      std::vector<bool> hit(scene.truth.size(), false);
      for (const auto& d : *found) {
        bool any = false;
        for (size_t g = 0; g < scene.truth.size(); ++g) {
          if (Matches(d.box, scene.truth[g])) hit[g] = any = true;
        }
        if (!any) t.false_pos += 1;
      }
      for (size_t g = 0; g < scene.truth.size(); ++g) {
        const int b = BinOf(scene.truth[g].width());
        t.truth[b] += 1;
        t.found[b] += hit[g] ? 1 : 0;
      }
      if (!draw_dir.empty() && s < 4) {
        cv::Mat canvas = scene.bgr.clone();
        for (const auto& g : scene.truth) {
          cv::rectangle(canvas, cv::Rect2f(g.x1, g.y1, g.width(), g.height()), {255, 0, 0}, 1);
        }
        for (const auto& d : *found) {
          cv::rectangle(canvas, cv::Rect2f(d.box.x1, d.box.y1, d.box.width(), d.box.height()),
                        {0, 255, 0}, 1);
        }
        cv::imwrite(draw_dir + "/scene" + std::to_string(s) + "_" + "abc"[c] + ".png", canvas);
      }
    }
    std::fprintf(stderr, "\rscene %d/%d (load %.1f)   ", s + 1, total, Load1());
  }
  std::fprintf(stderr, "\n");

  for (const char* kind : {"crowd", "isolated"}) {
    std::printf("\n%s scenes (%d): recall per face width (detected box), found/true\n", kind,
                tallies[0][kind].scenes);
    std::printf("| width px | faces | (a) | (b) | (c) |\n| --- | --- | --- | --- | --- |\n");
    for (int b = 0; b < kNumBins; ++b) {
      const int n = tallies[0][kind].truth[b];
      if (n == 0) continue;
      std::printf("| %s | %d |", kBinNames[b], n);
      for (int c = 0; c < 3; ++c) {
        std::printf(" %.2f |", static_cast<double>(tallies[c][kind].found[b]) / n);
      }
      std::printf("\n");
    }
    std::printf("| false positives / scene | |");
    for (int c = 0; c < 3; ++c) {
      const Tally& t = tallies[c][kind];
      std::printf(" %.2f |", static_cast<double>(t.false_pos) / std::max(1, t.scenes));
    }
    std::printf("\n| detector ms / scene | |");
    for (int c = 0; c < 3; ++c) {
      const Tally& t = tallies[c][kind];
      std::printf(" %.0f |", t.ms / std::max(1, t.scenes));
    }
    std::printf("\n| small-face windows / scene | |");
    for (int c = 0; c < 3; ++c) {
      const Tally& t = tallies[c][kind];
      std::printf(" %.1f |", static_cast<double>(t.small_tiles) / std::max(1, t.scenes));
    }
    std::printf("\n");
  }
  for (int c = 0; c < 3; ++c) std::printf("%s\n", configs[c].name);

  std::printf(
      "\nDemo group photos (no ground truth): faces found / detector ms [face widths px, "
      "small-face windows]\n");
  std::printf("| photo | (a) | (b) | (c) |\n| --- | --- | --- | --- |\n");
  for (const auto& [name, photo] : demos) {
    std::printf("| %s |", name.c_str());
    for (int c = 0; c < 3; ++c) {
      const int64_t windows_before = analyzer.times().small_face_tiles;
      const auto t0 = std::chrono::steady_clock::now();
      auto found = analyzer.Detect(photo, configs[c].options);
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (!found.ok()) return 1;
      float narrowest = 0, widest = 0;
      for (const auto& d : *found) {
        narrowest = narrowest == 0 ? d.box.width() : std::min(narrowest, d.box.width());
        widest = std::max(widest, d.box.width());
      }
      std::printf(" %zu / %.0f ms [%.0f-%.0f, %lld] |", found->size(), ms, narrowest, widest,
                  static_cast<long long>(analyzer.times().small_face_tiles - windows_before));
      if (!draw_dir.empty()) {
        cv::Mat canvas = photo.clone();
        for (const auto& d : *found) {
          cv::rectangle(canvas, cv::Rect2f(d.box.x1, d.box.y1, d.box.width(), d.box.height()),
                        d.level > 3 ? cv::Scalar(0, 0, 255) : cv::Scalar(0, 255, 0), 2);
        }
        cv::imwrite(draw_dir + "/" + name + "_" + "abc"[c] + ".png", canvas);
      }
    }
    std::printf("\n");
  }
  std::printf("load average at the end: %.1f\n", Load1());
  return 0;
}
