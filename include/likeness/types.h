// Plain value types shared by every module. Nothing here depends on OpenCV, FAISS or SQLite.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace likeness {

// Dimension of the face embedding made by the pinned model (fr_feature.onnx).
inline constexpr int kEmbeddingDim = 512;

// Axis-aligned box in pixel coordinates of the original image (x2, y2 exclusive edges).
struct BoxF {
  float x1 = 0, y1 = 0, x2 = 0, y2 = 0;
  float width() const { return x2 - x1; }
  float height() const { return y2 - y1; }
  float area() const { return width() > 0 && height() > 0 ? width() * height() : 0.0f; }
  float cx() const { return (x1 + x2) * 0.5f; }
  float cy() const { return (y1 + y2) * 0.5f; }
};

struct Point2 {
  float x = 0, y = 0;
};

// Five alignment points: left eye, right eye, nose tip, left mouth corner, right mouth corner.
using FivePoints = std::array<Point2, 5>;

// Per-face quality measures, stored with every face.
struct FaceQuality {
  float face_px = 0;    // shorter side of the detector box, in original-image pixels
  float sharpness = 0;  // variance of the Laplacian on the aligned 112x112 grey crop
  float yaw_deg = 0;    // estimated from landmarks; 0 = frontal
  float pitch_deg = 0;  // estimated from landmarks; 0 = level
  float roll_deg = 0;   // in-plane rotation of the eye line
  float detector_score = 0;
  float overall =
      0;  // 0..1 combination; below the floor a face is kept but not searched by default
};

// One L2-normalised embedding; size kEmbeddingDim.
using Embedding = std::vector<float>;

}  // namespace likeness
