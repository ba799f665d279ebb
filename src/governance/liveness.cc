#include "governance/liveness.h"

#include <algorithm>
#include <cmath>

#include "engine/search.h"

namespace likeness::governance {

Result<LivenessVerdict> VerifyHeadTurn(engine::Engine& engine,
                                       const std::vector<std::vector<uint8_t>>& frames,
                                       HeadTurn challenge) {
  if (frames.size() < 3) return Status::InvalidArgument("a live capture needs at least 3 frames");
  ASSIGN_OR_RETURN(auto analyzer, engine.NewAnalyzer());
  LivenessVerdict v;
  v.min_same_face = 1.0f;
  std::vector<float> yaw;
  Embedding first;
  for (size_t i = 0; i < frames.size(); ++i) {
    if (i > 0 && frames[i] == frames[i - 1]) {
      v.reason = "frame " + std::to_string(i + 1) + " repeats the previous one (a still)";
      return v;
    }
    ASSIGN_OR_RETURN(imageio::DecodedImage img,
                     imageio::DecodeImage(frames[i], engine.options().decode));
    ASSIGN_OR_RETURN(auto faces, analyzer->Analyze(img.bgr, engine.options().analyze));
    if (faces.size() != 1) {
      v.reason = "frame " + std::to_string(i + 1) + " shows " + std::to_string(faces.size()) +
                 " faces; exactly one is needed";
      return v;
    }
    if (i == 0) first = faces[0].embedding;
    v.min_same_face = std::min(v.min_same_face, engine::Cosine(first, faces[0].embedding));
    yaw.push_back(faces[0].quality.yaw_deg);
  }
  if (v.min_same_face < kSameFaceThreshold) {
    v.reason = "not the same face throughout";
    return v;
  }
  v.yaw_sweep_deg = yaw.back() - yaw.front();
  if (std::fabs(yaw.front()) > kMaxStartYawDeg) {
    v.reason = "the capture must start facing the camera";
    return v;
  }
  const float toward = challenge == HeadTurn::kPositiveYaw ? v.yaw_sweep_deg : -v.yaw_sweep_deg;
  if (toward < kMinYawSweepDeg) {
    v.reason = "the head did not turn as challenged";
    return v;
  }
  v.live = true;
  v.reason = "ok";
  return v;
}

}  // namespace likeness::governance
