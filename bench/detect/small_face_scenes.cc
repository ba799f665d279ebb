#include "small_face_scenes.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace likeness::bench {
namespace {

constexpr int kSceneW = 1920, kSceneH = 1080;

cv::Rect Clip(const cv::Rect& r, const cv::Size& size) {
  return r & cv::Rect(0, 0, size.width, size.height);
}

// A random crop of a background (at least 60 % of each side), resized to the scene, maybe mirrored.
cv::Mat BackgroundFor(const std::vector<Background>& backs, std::mt19937& rng) {
  const cv::Mat& src = backs[std::uniform_int_distribution<size_t>(0, backs.size() - 1)(rng)].bgr;
  std::uniform_real_distribution<double> frac(0.6, 1.0);
  const int w = static_cast<int>(src.cols * frac(rng));
  const int h = std::min(src.rows, static_cast<int>(w * 9.0 / 16.0 * frac(rng) / 0.8));
  const int x = std::uniform_int_distribution<int>(0, src.cols - w)(rng);
  const int y = std::uniform_int_distribution<int>(0, std::max(0, src.rows - h))(rng);
  cv::Mat out;
  cv::resize(src(cv::Rect(x, y, w, std::max(1, h))), out, cv::Size(kSceneW, kSceneH), 0, 0,
             cv::INTER_LINEAR);
  if (rng() % 2) cv::flip(out, out, 1);
  return out;
}

// Pastes `patch` scaled so its face box is `width` px wide with the box's centre at (cx, cy),
// feathering the crop's border into the scene. Returns the pasted face box.
BoxF Paste(cv::Mat& scene, const FacePatch& patch, float width, float cx, float cy) {
  const double s = width / patch.box.width();
  const int pw = std::max(2, static_cast<int>(std::lround(patch.bgr.cols * s)));
  const int ph = std::max(2, static_cast<int>(std::lround(patch.bgr.rows * s)));
  cv::Mat scaled;
  cv::resize(patch.bgr, scaled, cv::Size(pw, ph), 0, 0, cv::INTER_AREA);
  const BoxF box{static_cast<float>(patch.box.x1 * s), static_cast<float>(patch.box.y1 * s),
                 static_cast<float>(patch.box.x2 * s), static_cast<float>(patch.box.y2 * s)};
  const int ox = static_cast<int>(std::lround(cx - box.cx()));
  const int oy = static_cast<int>(std::lround(cy - box.cy()));
  // Alpha: 1 inside, falling to 0 over the outer sixth of the crop.
  cv::Mat alpha(ph, pw, CV_32F);
  const float fx = std::max(1.0f, pw / 6.0f), fy = std::max(1.0f, ph / 6.0f);
  for (int y = 0; y < ph; ++y) {
    for (int x = 0; x < pw; ++x) {
      const float ax = std::min({1.0f, (x + 0.5f) / fx, (pw - x - 0.5f) / fx});
      const float ay = std::min({1.0f, (y + 0.5f) / fy, (ph - y - 0.5f) / fy});
      alpha.at<float>(y, x) = ax * ay;
    }
  }
  const cv::Rect dst = Clip(cv::Rect(ox, oy, pw, ph), scene.size());
  for (int y = dst.y; y < dst.y + dst.height; ++y) {
    for (int x = dst.x; x < dst.x + dst.width; ++x) {
      const float a = alpha.at<float>(y - oy, x - ox);
      const cv::Vec3b f = scaled.at<cv::Vec3b>(y - oy, x - ox);
      cv::Vec3b& b = scene.at<cv::Vec3b>(y, x);
      for (int c = 0; c < 3; ++c) b[c] = cv::saturate_cast<uchar>(a * f[c] + (1 - a) * b[c]);
    }
  }
  return {box.x1 + ox, box.y1 + oy, box.x2 + ox, box.y2 + oy};
}

// The crop's footprint in the scene for a face of `width` centred at (cx, cy): used to keep
// pasted faces apart.
cv::Rect2f Footprint(const FacePatch& patch, float width, float cx, float cy) {
  const float s = width / patch.box.width();
  return {cx - patch.box.cx() * s, cy - patch.box.cy() * s, patch.bgr.cols * s, patch.bgr.rows * s};
}

bool Overlaps(const cv::Rect2f& r, const std::vector<cv::Rect2f>& taken) {
  for (const auto& t : taken) {
    if ((r & t).area() > 0) return true;
  }
  return false;
}

const FacePatch& AnyFace(const std::vector<FacePatch>& faces, std::mt19937& rng) {
  return faces[std::uniform_int_distribution<size_t>(0, faces.size() - 1)(rng)];
}

}  // namespace

FacePatch CutPatch(const cv::Mat& photo, const BoxF& box, std::string origin) {
  const float gx = 0.5f * box.width(), gy = 0.5f * box.height();
  const cv::Rect r = Clip(
      cv::Rect(static_cast<int>(box.x1 - gx), static_cast<int>(box.y1 - gy),
               static_cast<int>(box.width() + 2 * gx), static_cast<int>(box.height() + 2 * gy)),
      photo.size());
  FacePatch p;
  p.bgr = photo(r).clone();
  p.box = {box.x1 - r.x, box.y1 - r.y, box.x2 - r.x, box.y2 - r.y};
  p.origin = std::move(origin);
  return p;
}

Background MaskFaces(const cv::Mat& photo, const std::vector<BoxF>& faces, std::string origin) {
  cv::Mat blurred;
  cv::GaussianBlur(photo, blurred, cv::Size(0, 0), 25);
  Background b{photo.clone(), std::move(origin)};
  for (const BoxF& f : faces) {
    const float gx = 0.4f * f.width(), gy = 0.4f * f.height();
    const cv::Rect r = Clip(
        cv::Rect(static_cast<int>(f.x1 - gx), static_cast<int>(f.y1 - gy),
                 static_cast<int>(f.width() + 2 * gx), static_cast<int>(f.height() + 2.6f * gy)),
        photo.size());
    blurred(r).copyTo(b.bgr(r));
  }
  return b;
}

Scene MakeCrowdScene(const std::vector<FacePatch>& faces, const std::vector<Background>& backs,
                     int clusters, int members, std::mt19937& rng) {
  Scene scene{BackgroundFor(backs, rng), {}, "crowd"};
  std::vector<cv::Rect2f> taken;
  std::uniform_real_distribution<float> anchor_w(32, 64), small_w(12, 32), unit(0, 1);
  for (int c = 0; c < clusters; ++c) {
    // The anchor, away from the border and from other clusters.
    for (int attempt = 0; attempt < 200; ++attempt) {
      const FacePatch& p = AnyFace(faces, rng);
      const float w = anchor_w(rng);
      const float cx = 200 + unit(rng) * (kSceneW - 400), cy = 150 + unit(rng) * (kSceneH - 300);
      const cv::Rect2f fp = Footprint(p, w, cx, cy);
      const cv::Rect2f keep_out(cx - 5 * w, cy - 5 * w, 10 * w, 10 * w);
      if (Overlaps(keep_out, taken)) continue;
      taken.push_back(fp);
      scene.truth.push_back(Paste(scene.bgr, p, w, cx, cy));
      int placed = 0;
      for (int m = 0; m < 400 && placed < members; ++m) {
        const FacePatch& q = AnyFace(faces, rng);
        const float mw = small_w(rng);
        const float angle = unit(rng) * 6.2831853f, dist = w * (0.9f + 2.6f * unit(rng));
        const float mx = cx + dist * std::cos(angle), my = cy + dist * std::sin(angle);
        const cv::Rect2f mfp = Footprint(q, mw, mx, my);
        if (mfp.x < 0 || mfp.y < 0 || mfp.x + mfp.width > kSceneW || mfp.y + mfp.height > kSceneH ||
            Overlaps(mfp, taken)) {
          continue;
        }
        taken.push_back(mfp);
        scene.truth.push_back(Paste(scene.bgr, q, mw, mx, my));
        ++placed;
      }
      break;
    }
  }
  return scene;
}

Scene MakeIsolatedScene(const std::vector<FacePatch>& faces, const std::vector<Background>& backs,
                        int count, std::mt19937& rng) {
  Scene scene{BackgroundFor(backs, rng), {}, "isolated"};
  std::vector<cv::Point2f> centres;
  std::uniform_real_distribution<float> small_w(12, 32), unit(0, 1);
  for (int attempt = 0; attempt < 2000 && static_cast<int>(centres.size()) < count; ++attempt) {
    const float cx = 60 + unit(rng) * (kSceneW - 120), cy = 60 + unit(rng) * (kSceneH - 120);
    bool near = false;
    for (const auto& c : centres) near = near || std::hypot(c.x - cx, c.y - cy) < 450;
    if (near) continue;
    centres.push_back({cx, cy});
    scene.truth.push_back(Paste(scene.bgr, AnyFace(faces, rng), small_w(rng), cx, cy));
  }
  return scene;
}

}  // namespace likeness::bench
