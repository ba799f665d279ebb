// Synthetic 1920x1080 scenes for bench_small_faces (issue 13): real faces from the dev sets,
// scaled so their detected box has a chosen width and pasted on face-free backgrounds made from
// the demo photos. Ground truth is the pasted boxes. Deterministic for a given seed.
#pragma once

#include <opencv2/core.hpp>
#include <random>
#include <string>
#include <vector>

#include "likeness/types.h"

namespace likeness::bench {

// One face to paste: a crop around a detected face and the detector's box inside the crop.
struct FacePatch {
  cv::Mat bgr;
  BoxF box;
  std::string origin;  // "set/file"
};

// A background: a demo photo with every face the detector finds blurred away.
struct Background {
  cv::Mat bgr;
  std::string origin;
};

struct Scene {
  cv::Mat bgr;              // 1920x1080
  std::vector<BoxF> truth;  // the pasted faces' boxes
  std::string kind;         // "crowd" or "isolated"
};

// The crop pasted for a face: its box grown by half its size on each side (hair, neck, some
// background), clipped to the photo.
FacePatch CutPatch(const cv::Mat& photo, const BoxF& box, std::string origin);

// Blurs each box (grown by 40 %, more downwards to the chin) out of the photo.
Background MaskFaces(const cv::Mat& photo, const std::vector<BoxF>& faces, std::string origin);

// A crowd: `clusters` groups, each a 32..64-px face with `members` faces of 12..32 px around it
// (within 3.5 times its width). Isolated: `members` faces of 12..32 px at least 450 px apart.
Scene MakeCrowdScene(const std::vector<FacePatch>& faces, const std::vector<Background>& backs,
                     int clusters, int members, std::mt19937& rng);
Scene MakeIsolatedScene(const std::vector<FacePatch>& faces, const std::vector<Background>& backs,
                        int count, std::mt19937& rng);

}  // namespace likeness::bench
