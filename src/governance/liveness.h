// Live-capture check for the public self-check: the server issues a head-turn challenge, the page
// records a short sequence of frames, and this decides whether the sequence answers it. Pure
// decision logic over analysed frames, so the server can call it with its own analyzer pool.
//
// Passes only when: every frame shows exactly one face; all frames show the same person (cosine
// to the first frame at or above kSameFaceThreshold); no two consecutive frames are byte-identical
// (a replayed still); and the landmark yaw moves in the challenged direction by at least
// kMinYawSweepDeg, from a start within kMaxStartYawDeg of frontal.
//
// Not covered: the passive liveness model (fr_liveness) and eye-state (blink) models are not used
// here, so a replayed *video* of the person turning their head passes this check. The server's
// self-check uses governance/selfcheck_liveness.h instead (pose, eye-state and passive-liveness
// models, random challenge kinds, replay memory).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "likeness/status.h"

namespace likeness::governance {

enum class HeadTurn { kPositiveYaw, kNegativeYaw };  // direction of the landmark yaw change

inline constexpr float kSameFaceThreshold = 0.45f;  // the search threshold
inline constexpr float kMinYawSweepDeg = 12.0f;
inline constexpr float kMaxStartYawDeg = 20.0f;

struct LivenessVerdict {
  bool live = false;
  std::string reason;       // why it failed, or "ok"
  float yaw_sweep_deg = 0;  // signed: last frame's yaw minus the first's
  float min_same_face = 0;  // the lowest cosine to the first frame
};

// Frames are encoded images (any supported format), in capture order; at least 3.
// Errors: InvalidArgument (fewer than 3 frames, undecodable frame); a failed challenge is a
// verdict with live = false, not an error.
Result<LivenessVerdict> VerifyHeadTurn(engine::Engine& engine,
                                       const std::vector<std::vector<uint8_t>>& frames,
                                       HeadTurn challenge);

}  // namespace likeness::governance
