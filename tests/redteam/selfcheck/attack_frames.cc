#include "attack_frames.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

#include "testing/camera_frame.h"
#include "testing/test_env.h"

namespace likeness::redteam {
namespace fs = std::filesystem;
namespace {

constexpr int kW = 640, kH = 480;

// The region around `box` (twice its size), scaled so the face is ~170 px tall, on a 640x480
// frame whose border repeats the crop's edge (no visible photo edge).
cv::Mat Framed(const cv::Mat& bgr, const BoxF& box) {
  const float side = std::max(box.width(), box.height());
  cv::Rect r(static_cast<int>(box.cx() - side), static_cast<int>(box.cy() - side),
             static_cast<int>(2 * side), static_cast<int>(2 * side));
  r &= cv::Rect(0, 0, bgr.cols, bgr.rows);
  cv::Mat crop = bgr(r), big, out;
  const double scale = 380.0 / std::max(r.width, r.height);
  cv::resize(crop, big, cv::Size(), scale, scale, scale > 1 ? cv::INTER_CUBIC : cv::INTER_AREA);
  big = big(cv::Rect(0, 0, std::min(big.cols, kW), std::min(big.rows, kH))).clone();
  const int top = (kH - big.rows) / 2, left = (kW - big.cols) / 2;
  cv::copyMakeBorder(big, out, top, kH - big.rows - top, left, kW - big.cols - left,
                     cv::BORDER_REPLICATE);
  return out;
}

cv::Mat Warp(const cv::Mat& img, const cv::Mat& m) {
  cv::Mat out;
  if (m.rows == 2) {
    cv::warpAffine(img, out, m, img.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  } else {
    cv::warpPerspective(img, out, m, img.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  }
  return out;
}

cv::Mat Shifted(const cv::Mat& img, double dx, double dy, double scale = 1.0) {
  cv::Mat m = cv::getRotationMatrix2D(cv::Point2f(kW / 2.0f, kH / 2.0f), 0, scale);
  m.at<double>(0, 2) += dx;
  m.at<double>(1, 2) += dy;
  return Warp(img, m);
}

// Keystone as if the photo were turned `t` (0..1) of the way to 45 degrees about its vertical axis.
cv::Mat Keystoned(const cv::Mat& img, double t) {
  const float squeeze = static_cast<float>(0.18 * t * kH);
  const float narrow = static_cast<float>(0.25 * t * kW);
  const cv::Point2f src[4] = {{0, 0}, {kW, 0}, {kW, kH}, {0, kH}};
  const cv::Point2f dst[4] = {{narrow * 0.5f, 0},
                              {kW - narrow * 0.5f, squeeze},
                              {kW - narrow * 0.5f, kH - squeeze},
                              {narrow * 0.5f, kH}};
  return Warp(img, cv::getPerspectiveTransform(src, dst));
}

cv::Mat EyesPainted(const cv::Mat& img, const FivePoints& p) {
  cv::Mat out = img.clone();
  const float iod = std::hypot(p[1].x - p[0].x, p[1].y - p[0].y);
  const cv::Rect band(static_cast<int>(std::min(p[0].x, p[1].x) - 0.35f * iod),
                      static_cast<int>((p[0].y + p[1].y) / 2 - 0.18f * iod),
                      static_cast<int>(std::fabs(p[1].x - p[0].x) + 0.7f * iod),
                      static_cast<int>(0.36f * iod));
  cv::Mat roi = out(band & cv::Rect(0, 0, out.cols, out.rows));
  roi.convertTo(roi, -1, 0.35, 0);
  return out;
}

cv::Mat Reencoded(const cv::Mat& img, int quality) {
  std::vector<uint8_t> bytes;
  cv::imencode(".jpg", img, bytes, {cv::IMWRITE_JPEG_QUALITY, quality});
  return cv::imdecode(bytes, cv::IMREAD_COLOR);
}

std::vector<uint8_t> ReadBytes(const fs::path& p) {
  std::vector<uint8_t> out;
  FILE* f = std::fopen(p.c_str(), "rb");
  if (!f) return out;
  uint8_t buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.insert(out.end(), buf, buf + n);
  std::fclose(f);
  return out;
}

}  // namespace

const char* AttackName(Attack a) {
  switch (a) {
    case Attack::kShift:
      return "shift";
    case Attack::kMirror:
      return "mirror";
    case Attack::kPerspectiveTurn:
      return "perspective-turn";
    case Attack::kEyeBand:
      return "eye-band";
    case Attack::kJpegReencode:
      return "jpeg-reencode";
  }
  return "?";
}

std::vector<uint8_t> Jpeg(const cv::Mat& bgr, int quality) {
  std::vector<uint8_t> out;
  cv::imencode(".jpg", bgr, out, {cv::IMWRITE_JPEG_QUALITY, quality});
  return out;
}

cv::Mat CameraLikeFrame(const cv::Mat& grey, uint32_t seed) {
  std::mt19937 rng(seed);
  return likeness::testing::CameraLikeFrame(grey, rng);
}

std::vector<Still> AttackStills(engine::Engine& engine, int orl_subjects) {
  std::vector<Still> out;
  auto analyzer = engine.NewAnalyzer();
  if (!analyzer.ok()) return out;
  const auto keep = [&](const std::string& name, const cv::Mat& frame) {
    auto faces = (*analyzer)->Analyze(frame, engine.options().analyze);
    if (faces.ok() && faces->size() == 1) out.push_back({name, frame, (*faces)[0].points});
  };
  if (auto demo = likeness::testing::DemoPhotoDir()) {
    for (int i = 1; i <= 6; ++i) {
      const std::string file = "sample" + std::to_string(i) + ".jpg";
      cv::Mat img = cv::imdecode(ReadBytes(*demo / file), cv::IMREAD_COLOR);
      if (img.empty()) continue;
      auto faces = (*analyzer)->Analyze(img, engine.options().analyze);
      if (!faces.ok()) continue;
      for (size_t k = 0; k < faces->size(); ++k) {
        keep(file + "#" + std::to_string(k + 1), Framed(img, (*faces)[k].box));
      }
    }
  }
  if (auto dev = likeness::testing::FacesDevDir(); dev && fs::exists(*dev / "orl")) {
    const int subjects[] = {39, 1, 12, 25, 33, 7, 18, 40};
    for (int n = 0; n < orl_subjects && n < 8; ++n) {
      const std::string name = "s" + std::to_string(subjects[n]);
      cv::Mat grey = cv::imread((*dev / "orl" / name / "5.pgm").string(), cv::IMREAD_GRAYSCALE);
      if (!grey.empty()) keep("orl/" + name + "/5", CameraLikeFrame(grey, 7 + n));
    }
  }
  return out;
}

std::vector<std::vector<uint8_t>> AttackSequence(const Still& s, Attack attack, int frames) {
  std::vector<std::vector<uint8_t>> out;
  for (int k = 0; k < frames; ++k) {
    const double t = frames > 1 ? static_cast<double>(k) / (frames - 1) : 0;
    cv::Mat f;
    switch (attack) {
      case Attack::kShift:
        f = Shifted(s.frame, 40 * t, 15 * t, 1.0 + 0.12 * t);
        break;
      case Attack::kMirror: {
        cv::Mat m;
        if (k < frames / 2) {
          m = s.frame;
        } else {
          cv::flip(s.frame, m, 1);
        }
        f = Shifted(m, k, 0);
        break;
      }
      case Attack::kPerspectiveTurn:
        f = Shifted(Keystoned(s.frame, t), 20 * t, 0);
        break;
      case Attack::kEyeBand: {
        const bool closed = k >= frames / 3 && k < frames - frames / 3;
        f = Shifted(closed ? EyesPainted(s.frame, s.points) : s.frame, 0.5 * k, 0);
        break;
      }
      case Attack::kJpegReencode:
        f = Reencoded(Reencoded(s.frame, 95 - 9 * k), 70 + 3 * k);
        break;
    }
    out.push_back(Jpeg(f, 92 - k));  // byte-distinct even where the picture is not
  }
  return out;
}

}  // namespace likeness::redteam
