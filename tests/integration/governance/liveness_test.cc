// The head-turn challenge check on ORL series from the dev set (ten photos per person with natural
// head turns): a sequence that turns as challenged passes, the opposite challenge, a still, and a
// sequence that swaps people fail. Skips when the dev data is absent.
#include "governance/liveness.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "testing/test_env.h"

namespace likeness::governance {
namespace {
namespace fs = std::filesystem;

struct Shot {
  std::vector<uint8_t> bytes;
  float yaw = 0;
};

std::vector<uint8_t> Read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), {});
}

TEST(Liveness, HeadTurnChallengeOnOrlSeries) {
  auto dev = likeness::testing::FacesDevDir();
  if (!dev) GTEST_SKIP() << "faces-dev not present";
  likeness::testing::TempDir dir;
  engine::EngineOptions options;
  options.data_dir = dir.path() / "data";
  options.model_dir = *likeness::testing::ModelDir();
  auto eng = engine::Engine::Open(options);
  ASSERT_TRUE(eng.ok()) << eng.status().ToString();
  auto analyzer = (*eng)->NewAnalyzer();
  ASSERT_TRUE(analyzer.ok());

  // For each person, the most frontal shot and the shot turned furthest in positive yaw from it.
  std::vector<std::vector<Shot>> people;
  for (int s = 1; s <= 20; ++s) {
    std::vector<Shot> shots;
    for (int i = 1; i <= 10; ++i) {
      Shot shot{Read(*dev / "orl" / ("s" + std::to_string(s)) / (std::to_string(i) + ".pgm"))};
      auto img = imageio::DecodeImage(shot.bytes, options.decode);
      if (!img.ok()) continue;
      auto faces = (*analyzer)->Analyze(img->bgr, (*eng)->options().analyze);
      if (!faces.ok() || faces->size() != 1) continue;
      shot.yaw = (*faces)[0].quality.yaw_deg;
      shots.push_back(std::move(shot));
    }
    std::sort(shots.begin(), shots.end(), [](auto& a, auto& b) { return a.yaw < b.yaw; });
    people.push_back(std::move(shots));
  }
  const std::vector<Shot>* turner = nullptr;
  std::vector<std::vector<uint8_t>> turn;
  for (const auto& shots : people) {
    if (shots.size() < 3) continue;
    auto frontal = std::min_element(shots.begin(), shots.end(), [](auto& a, auto& b) {
      return std::fabs(a.yaw) < std::fabs(b.yaw);
    });
    const Shot& last = shots.back();
    if (last.yaw - frontal->yaw < kMinYawSweepDeg + 2 || &last == &*frontal) continue;
    const Shot* mid = nullptr;
    for (const auto& s : shots) {
      if (&s != &*frontal && &s != &last) mid = &s;
    }
    turn = {frontal->bytes, mid->bytes, last.bytes};
    turner = &shots;
    break;
  }
  ASSERT_NE(turner, nullptr) << "no ORL person with a head turn of " << kMinYawSweepDeg << " deg";

  auto ok = VerifyHeadTurn(**eng, turn, HeadTurn::kPositiveYaw);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE(ok->live) << ok->reason << " sweep " << ok->yaw_sweep_deg;
  EXPECT_GE(ok->min_same_face, kSameFaceThreshold);

  auto wrong_way = VerifyHeadTurn(**eng, turn, HeadTurn::kNegativeYaw);
  EXPECT_FALSE(wrong_way->live);

  auto still = VerifyHeadTurn(**eng, {turn[0], turn[0], turn[0]}, HeadTurn::kPositiveYaw);
  EXPECT_FALSE(still->live);
  EXPECT_NE(still->reason.find("still"), std::string::npos) << still->reason;

  // Someone else's face slipped into the sequence.
  const auto& other = people[&people.front() == turner ? 1 : 0];
  ASSERT_FALSE(other.empty());
  auto swapped =
      VerifyHeadTurn(**eng, {turn[0], other.front().bytes, turn[2]}, HeadTurn::kPositiveYaw);
  EXPECT_FALSE(swapped->live);

  EXPECT_EQ(VerifyHeadTurn(**eng, {turn[0], turn[1]}, HeadTurn::kPositiveYaw).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace likeness::governance
