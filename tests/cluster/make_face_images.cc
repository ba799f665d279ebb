// make_face_images DEMO_DIR OUT_DIR COUNT [SCRATCH_DATA]
//
// Writes COUNT distinct single-face JPEGs (200x200) cut from the faces the real detector finds in
// the demo photos: each is the face's box grown by a random factor, shifted, brightness-adjusted
// and saved at a random JPEG quality, so every file has its own bytes (content hash) and one face.
// Used by the cluster test to ingest a few thousand images without any dataset.
#include <filesystem>
#include <iostream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

#include "engine/engine.h"
#include "imageio/decode.h"

namespace fs = std::filesystem;
using namespace likeness;

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: make_face_images DEMO_DIR OUT_DIR COUNT [SCRATCH_DATA]\n";
    return 2;
  }
  const fs::path demo = argv[1], out = argv[2];
  const int count = std::atoi(argv[3]);
  engine::EngineOptions options;
  options.data_dir = argc > 4 ? fs::path(argv[4]) : out / ".scratch";
  auto eng = engine::Engine::Open(options);
  if (!eng.ok()) {
    std::cerr << eng.status().ToString() << "\n";
    return 1;
  }
  auto analyzer = (*eng)->NewAnalyzer();
  if (!analyzer.ok()) return 1;
  struct Face {
    cv::Mat image;
    cv::Rect2f box;
  };
  std::vector<Face> faces;
  std::vector<fs::path> photos;
  for (const auto& e : fs::directory_iterator(demo)) photos.push_back(e.path());
  std::sort(photos.begin(), photos.end());
  for (const auto& p : photos) {
    cv::Mat img = cv::imread(p.string(), cv::IMREAD_COLOR);
    if (img.empty()) continue;
    auto found = (*analyzer)->Analyze(img, options.analyze);
    if (!found.ok()) continue;
    for (const auto& f : *found) {
      if (f.box.x2 - f.box.x1 < 40) continue;  // keep faces big enough to survive the jitter
      faces.push_back(
          {img, cv::Rect2f(f.box.x1, f.box.y1, f.box.x2 - f.box.x1, f.box.y2 - f.box.y1)});
    }
  }
  if (faces.empty()) {
    std::cerr << "no faces found in " << demo << "\n";
    return 1;
  }
  fs::create_directories(out);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> grow(1.7f, 2.1f), shift(-0.08f, 0.08f), gain(0.85f, 1.15f);
  std::uniform_int_distribution<int> quality(80, 95);
  for (int i = 0; i < count; ++i) {
    const Face& f = faces[static_cast<size_t>(i) % faces.size()];
    const float side = std::max(f.box.width, f.box.height) * grow(rng);
    const float cx = f.box.x + f.box.width / 2 + shift(rng) * side;
    const float cy = f.box.y + f.box.height / 2 + shift(rng) * side;
    cv::Rect r(static_cast<int>(cx - side / 2), static_cast<int>(cy - side / 2),
               static_cast<int>(side), static_cast<int>(side));
    r &= cv::Rect(0, 0, f.image.cols, f.image.rows);
    cv::Mat crop;
    cv::resize(f.image(r), crop, cv::Size(200, 200), 0, 0, cv::INTER_AREA);
    crop.convertTo(crop, -1, gain(rng), 0);
    char name[32];
    std::snprintf(name, sizeof(name), "face-%05d.jpg", i);
    cv::imwrite((out / name).string(), crop, {cv::IMWRITE_JPEG_QUALITY, quality(rng)});
  }
  std::cout << count << " images from " << faces.size() << " faces\n";
  return 0;
}
