#include "governance/selfcheck_liveness.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "common/hash.h"
#include "engine/search.h"
#include "governance/still_sequence.h"
#include "imageio/decode.h"

namespace likeness::governance {

std::string_view ChallengeName(ChallengeKind kind) {
  switch (kind) {
    case ChallengeKind::kTurnLeft:
      return "turn-left";
    case ChallengeKind::kTurnRight:
      return "turn-right";
    case ChallengeKind::kBlink:
      return "blink";
  }
  return "unknown";
}

Result<ChallengeKind> ParseChallenge(std::string_view name) {
  for (ChallengeKind k :
       {ChallengeKind::kTurnLeft, ChallengeKind::kTurnRight, ChallengeKind::kBlink}) {
    if (name == ChallengeName(k)) return k;
  }
  return Status::InvalidArgument("unknown challenge '" + std::string(name) +
                                 "' (one of: turn-left, turn-right, blink)");
}

namespace {

ChallengeVerdict Fail(ChallengeVerdict v, std::string reason) {
  v.live = false;
  v.reason = std::move(reason);
  v.embedding.clear();
  return v;
}

float Median(std::vector<float> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The largest yaw change toward `sign` from a frontal frame to any later frame. Hardened, a pair
// whose later face is a global 2D warp of the earlier one (a perspective "turn" of one still)
// does not count.
float BestSweep(const std::vector<FrameMeasure>& frames, float sign, const LivenessThresholds& t) {
  float best = 0;
  for (size_t i = 0; i < frames.size(); ++i) {
    if (std::fabs(frames[i].yaw_deg) > t.max_start_yaw_deg) continue;
    for (size_t j = i + 1; j < frames.size(); ++j) {
      const float sweep = sign * (frames[j].yaw_deg - frames[i].yaw_deg);
      if (sweep <= best) continue;
      if (t.hardened && sweep >= t.min_yaw_sweep_deg &&
          MatchAsWarp(frames[i].patch, frames[j].patch).best() >= t.warp_corr) {
        continue;
      }
      best = sweep;
    }
  }
  return best;
}

// Hardened checks over frames that each show one face: "" when they pass, else why not.
std::string StillReason(const std::vector<FrameMeasure>& frames, const LivenessThresholds& t,
                        float* lowest_warp_corr) {
  std::vector<BoxF> boxes;
  for (const auto& f : frames) boxes.push_back(f.box);
  if (!ContinuousTrack(boxes)) return "the face jumps between frames (not one continuous track)";
  float lowest = 1.0f;
  for (size_t i = 1; i < frames.size(); ++i) {
    const WarpMatch m = MatchAsWarp(frames[0].patch, frames[i].patch);
    if (m.mirrored >= t.warp_corr && m.mirrored > m.direct + t.mirror_margin) {
      return "frame " + std::to_string(i + 1) + " is a mirror image of the first";
    }
    lowest = std::min(lowest, m.best());
  }
  *lowest_warp_corr = lowest;
  if (lowest >= t.warp_corr) return "every frame is one still photo moved about";
  return "";
}

bool Blinked(const std::vector<FrameMeasure>& frames, const LivenessThresholds& t) {
  int stage = 0;  // 0: waiting for open, 1: for closed, 2: for open again
  for (const auto& f : frames) {
    if (stage == 0 && f.eye_open >= t.eye_open)
      stage = 1;
    else if (stage == 1 && f.eye_open <= t.eye_closed)
      stage = 2;
    else if (stage == 2 && f.eye_open >= t.eye_open)
      return true;
  }
  return false;
}

}  // namespace

ChallengeVerdict DecideChallenge(const std::vector<FrameMeasure>& frames, ChallengeKind challenge,
                                 const LivenessThresholds& t) {
  ChallengeVerdict v;
  const int n = static_cast<int>(frames.size());
  if (n < t.min_frames || n > t.max_frames) {
    return Fail(v, "a capture has " + std::to_string(t.min_frames) + " to " +
                       std::to_string(t.max_frames) + " frames");
  }
  // Stills first: a repeated frame is the plainest sign of a photo held up or a file replayed.
  std::set<std::string> seen;
  for (int i = 0; i < n; ++i) {
    if (!seen.insert(frames[i].sha256).second) {
      return Fail(v, "frame " + std::to_string(i + 1) + " repeats an earlier one (a still)");
    }
  }
  for (int i = 0; i < n; ++i) {
    if (frames[i].faces != 1) {
      return Fail(v, "frame " + std::to_string(i + 1) + " shows " +
                         std::to_string(frames[i].faces) + " faces; exactly one is needed");
    }
  }
  if (t.hardened) {
    const std::string still = StillReason(frames, t, &v.max_warp_corr);
    if (!still.empty()) return Fail(v, still);
  }
  v.min_same_face = 1.0f;
  for (const auto& f : frames) {
    v.min_same_face = std::min(v.min_same_face, engine::Cosine(frames[0].embedding, f.embedding));
  }
  if (v.min_same_face < t.same_face) return Fail(v, "not the same face throughout");
  std::vector<float> live;
  for (const auto& f : frames) live.push_back(f.live);
  v.live_score = Median(live);
  if (v.live_score < t.min_live) return Fail(v, "the capture does not look live");
  if (challenge == ChallengeKind::kBlink) {
    if (!Blinked(frames, t)) return Fail(v, "no blink (eyes open, closed, open) was seen");
  } else {
    const float sign =
        challenge == ChallengeKind::kTurnLeft ? t.left_turn_yaw_sign : -t.left_turn_yaw_sign;
    v.yaw_sweep_deg = BestSweep(frames, sign, t);
    if (v.yaw_sweep_deg < t.min_yaw_sweep_deg) {
      return Fail(v, "the head did not turn as challenged (from facing the camera)");
    }
  }
  v.live = true;
  v.reason = "ok";
  v.embedding = frames[0].embedding;
  return v;
}

Result<FrameMeasure> MeasureFrame(const engine::Engine& engine, vision::FaceAnalyzer& analyzer,
                                  vision::LivenessModels& models,
                                  const std::vector<uint8_t>& encoded) {
  FrameMeasure m;
  m.sha256 = Sha256Hex(encoded);
  ASSIGN_OR_RETURN(imageio::DecodedImage img,
                   imageio::DecodeImage(encoded, engine.options().decode));
  ASSIGN_OR_RETURN(auto faces, analyzer.Analyze(img.bgr, engine.options().analyze));
  m.faces = static_cast<int>(faces.size());
  if (faces.size() != 1) return m;
  const auto& face = faces[0];
  m.embedding = face.embedding;
  m.box = face.box;
  m.patch = FacePatchOf(analyzer.Align(img.bgr, face.points));
  ASSIGN_OR_RETURN(vision::HeadPose pose, models.Pose(img.bgr, face.box));
  m.yaw_deg = pose.yaw_deg;
  ASSIGN_OR_RETURN(vision::EyeState eyes, models.Eyes(img.bgr, face.landmarks));
  m.eye_open = eyes.Open();
  ASSIGN_OR_RETURN(m.live, models.PassiveLiveness(img.bgr, face.box));
  return m;
}

}  // namespace likeness::governance
