// Still-photo attacks on the public self-check, as an attacker holding photos of somebody else
// would build them: one still of a face, made into a camera-like sequence by moving it about.
// Faces come from every demo photo (every face of sample1..6.jpg) and from the camera-like ORL
// frames the self-check tests already generate (when ../shared/data/faces-dev is present).
#pragma once

#include <cstdint>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "likeness/types.h"

namespace likeness::redteam {

// One face alone in a 640x480 camera-like frame, with its five points there.
struct Still {
  std::string name;  // "sample3.jpg#2", "orl/s39/5"
  cv::Mat frame;     // BGR 640x480
  FivePoints points;
};

enum class Attack { kShift, kMirror, kPerspectiveTurn, kEyeBand, kJpegReencode };
inline constexpr Attack kAllAttacks[] = {Attack::kShift, Attack::kMirror, Attack::kPerspectiveTurn,
                                         Attack::kEyeBand, Attack::kJpegReencode};
const char* AttackName(Attack a);

// Every usable face (the frame made from it shows exactly one face to the analyzer). ORL faces
// only when the dev set is present; `orl_subjects` of them.
std::vector<Still> AttackStills(engine::Engine& engine, int orl_subjects = 4);

// `frames` JPEG frames (all byte-distinct) made from `s` by `attack`:
//  shift: translated and scaled a little more each frame; mirror: the still, then its mirror
//  image (a pose model reads a mirrored face as turned the other way); perspective turn: the
//  still keystoned ever more, as if turned away; eye band: the eyes painted dark in the middle
//  frames (a "blink"); JPEG re-encode: the still re-encoded at falling quality.
std::vector<std::vector<uint8_t>> AttackSequence(const Still& s, Attack attack, int frames = 6);

// A camera-like 640x480 frame of a grey photo (scaled to the frame's height, edges stretched,
// sensor-like noise), as tests/e2e/fake_camera.mjs and the self-check tests make them.
cv::Mat CameraLikeFrame(const cv::Mat& grey, uint32_t seed);

std::vector<uint8_t> Jpeg(const cv::Mat& bgr, int quality = 92);

}  // namespace likeness::redteam
