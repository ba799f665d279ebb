// The self-check's liveness decision over measured frames (no models): a turn in the challenged
// direction from a frontal frame passes; the other direction, a still (repeated frame), another
// face, a capture that does not look live, too few frames, and a missing blink fail.
#include <gtest/gtest.h>

#include <cmath>

#include "governance/selfcheck_liveness.h"

namespace likeness::governance {
namespace {

Embedding Face(float angle) {
  Embedding e(kEmbeddingDim, 0.0f);
  e[0] = std::cos(angle);
  e[1] = std::sin(angle);
  return e;
}

// Frames with the given pose yaws (same face, open eyes, live), distinct hashes.
std::vector<FrameMeasure> Turn(const std::vector<float>& yaws) {
  std::vector<FrameMeasure> frames;
  for (size_t i = 0; i < yaws.size(); ++i) {
    FrameMeasure f;
    f.faces = 1;
    f.sha256 = "hash" + std::to_string(i);
    f.embedding = Face(0.01f * static_cast<float>(i));
    f.yaw_deg = yaws[i];
    f.eye_open = 0.99f;
    f.live = 0.95f;
    frames.push_back(f);
  }
  return frames;
}

TEST(SelfCheckDecision, TurnLeftLowersYaw) {
  const auto frames = Turn({1, 0, -5, -12, -20, -22});
  const auto v = DecideChallenge(frames, ChallengeKind::kTurnLeft);
  EXPECT_TRUE(v.live) << v.reason;
  EXPECT_NEAR(v.yaw_sweep_deg, 23.0f, 1e-4);
  EXPECT_EQ(v.embedding, frames[0].embedding);
  EXPECT_FALSE(DecideChallenge(frames, ChallengeKind::kTurnRight).live);
  EXPECT_TRUE(DecideChallenge(Turn({2, 3, 10, 19, 24}), ChallengeKind::kTurnRight).live);
}

TEST(SelfCheckDecision, TurnMustStartFacingTheCamera) {
  // Already turned at the start and turning further: no frontal frame.
  const auto v = DecideChallenge(Turn({-20, -25, -30, -38, -45}), ChallengeKind::kTurnLeft);
  EXPECT_FALSE(v.live);
  // A looped clip captured mid-turn still holds a frontal frame followed by a turned one.
  EXPECT_TRUE(DecideChallenge(Turn({-20, -5, 0, 1, -8, -19}), ChallengeKind::kTurnLeft).live);
}

TEST(SelfCheckDecision, TooSmallATurnFails) {
  EXPECT_FALSE(DecideChallenge(Turn({0, -3, -6, -9, -12}), ChallengeKind::kTurnLeft).live);
}

TEST(SelfCheckDecision, RepeatedFrameIsAStill) {
  auto frames = Turn({0, -5, -10, -20, -25});
  frames[3].sha256 = frames[1].sha256;
  const auto v = DecideChallenge(frames, ChallengeKind::kTurnLeft);
  EXPECT_FALSE(v.live);
  EXPECT_NE(v.reason.find("still"), std::string::npos);
  EXPECT_TRUE(v.embedding.empty());
}

TEST(SelfCheckDecision, AnotherFaceOrNoFaceFails) {
  auto frames = Turn({0, -5, -10, -20, -25});
  frames[4].embedding = Face(1.5f);  // cosine 0.07 to the first
  EXPECT_EQ(DecideChallenge(frames, ChallengeKind::kTurnLeft).reason,
            "not the same face throughout");
  frames = Turn({0, -5, -10, -20, -25});
  frames[2].faces = 2;
  EXPECT_FALSE(DecideChallenge(frames, ChallengeKind::kTurnLeft).live);
}

TEST(SelfCheckDecision, NotLiveFails) {
  auto frames = Turn({0, -5, -10, -20, -25});
  for (auto& f : frames) f.live = 0.1f;
  const auto v = DecideChallenge(frames, ChallengeKind::kTurnLeft);
  EXPECT_FALSE(v.live);
  EXPECT_NEAR(v.live_score, 0.1f, 1e-6);
}

TEST(SelfCheckDecision, FrameCountIsBounded) {
  EXPECT_FALSE(DecideChallenge(Turn({0, -10, -20}), ChallengeKind::kTurnLeft).live);
  std::vector<float> many(17, 0.0f);
  many.back() = -30;
  EXPECT_FALSE(DecideChallenge(Turn(many), ChallengeKind::kTurnLeft).live);
}

TEST(SelfCheckDecision, BlinkNeedsOpenClosedOpen) {
  auto frames = Turn({0, 0, 0, 0, 0, 0});
  const float eyes[] = {0.95f, 0.9f, 0.1f, 0.05f, 0.8f, 0.97f};
  for (size_t i = 0; i < frames.size(); ++i) frames[i].eye_open = eyes[i];
  EXPECT_TRUE(DecideChallenge(frames, ChallengeKind::kBlink).live);
  EXPECT_FALSE(DecideChallenge(frames, ChallengeKind::kTurnLeft).live);
  frames[4].eye_open = frames[5].eye_open = 0.2f;  // closed, never reopened
  EXPECT_FALSE(DecideChallenge(frames, ChallengeKind::kBlink).live);
  for (auto& f : frames) f.eye_open = 0.99f;  // never closed
  EXPECT_FALSE(DecideChallenge(frames, ChallengeKind::kBlink).live);
}

TEST(SelfCheckDecision, ChallengeNamesRoundTrip) {
  for (auto k : {ChallengeKind::kTurnLeft, ChallengeKind::kTurnRight, ChallengeKind::kBlink}) {
    auto parsed = ParseChallenge(ChallengeName(k));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, k);
  }
  EXPECT_FALSE(ParseChallenge("nod").ok());
}

}  // namespace
}  // namespace likeness::governance
