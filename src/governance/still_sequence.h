// Is a capture one still photo moved about? The cheap hardening of the public self-check against a
// sequence made from a single photo (docs/PRIVACY.md, "Public self-check: threat model"):
//  - every frame's face is cut out along its own alignment points into a small grey patch
//    (FacePatchOf), which already undoes a shift, a scale and an in-plane rotation of the photo;
//  - MatchAsWarp then asks whether one patch is a global 2D warp (a homography: perspective turn,
//    keystone, residual scale) of the other, directly or mirrored, by fitting the warp with
//    OpenCV's ECC outside the eye band and reporting the correlation left after it (1 =
//    identical). Leaving the eyes out means eyes painted shut on a still ("blink") do not make it
//    look different. It also reports how the eyes themselves then compare (normalised
//    cross-correlation), for measurement only: paint and JPEG change a painted eye about as much
//    as a real blink does (0.61-0.81 vs 0.77 measured), so the eyes cannot decide;
//  - ContinuousTrack checks that the face moves like one face in front of one camera (no jumps).
// Pure functions of their inputs; thread safe.
#pragma once

#include <opencv2/core.hpp>
#include <vector>

#include "likeness/types.h"

namespace likeness::governance {

inline constexpr int kFacePatchSize = 64;  // patches are kFacePatchSize x kFacePatchSize

// The grey patch (CV_32F, 0..1, kFacePatchSize square) of an aligned 112x112 BGR face crop
// (FaceAnalyzer::Align). Empty for an empty crop.
cv::Mat FacePatchOf(const cv::Mat& aligned_bgr);

struct WarpMatch {
  float direct = -1;         // correlation outside the eye band after the best warp of b onto a;
                             // -1 when no warp fits
  float direct_eyes = -1;    // normalised cross-correlation of the eye bands after that warp
  float mirrored = -1;       // the same for b mirrored left-right
  float mirrored_eyes = -1;  // ...
  // How much b is a warp of a outside the eyes, for the better of direct and mirrored.
  float best() const { return direct > mirrored ? direct : mirrored; }
};

// How well patch `b` is explained as one global 2D warp of patch `a` (see above).
WarpMatch MatchAsWarp(const cv::Mat& a, const cv::Mat& b);

// True when consecutive face boxes overlap like one face tracked at the page's frame rate: the
// centre moves at most `max_jump` box widths and the size changes by at most `max_scale` between
// consecutive frames.
bool ContinuousTrack(const std::vector<BoxF>& boxes, float max_jump = 0.6f, float max_scale = 1.5f);

}  // namespace likeness::governance
