// The fast backend's plain loops (vision/inference/plain_ops.h) against scalar definitions, on
// lengths that are not a multiple of any vector width and with mixed-sign data (the loops are
// compiled per ISA and written branch-free; a regression test for the PReLU pass that once took
// 80 % of the embedder's time on mispredicted branches).
#include "vision/inference/plain_ops.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace likeness::vision::inference {
namespace {

std::vector<float> Random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-2.0f, 2.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

TEST(PlainOpsTest, ActivateNhwcIsPReluPerChannelOrRelu) {
  const int64_t pixels = 37, channels = 19;
  const auto data = Random(pixels * channels, 1), slope = Random(channels, 2);
  auto prelu = data, relu = data;
  ActivateNhwc(prelu.data(), slope.data(), pixels, channels);
  ActivateNhwc(relu.data(), nullptr, pixels, channels);
  for (int64_t p = 0; p < pixels; ++p) {
    for (int64_t c = 0; c < channels; ++c) {
      const float x = data[p * channels + c];
      EXPECT_FLOAT_EQ(prelu[p * channels + c], x > 0 ? x : x * slope[c]);
      EXPECT_FLOAT_EQ(relu[p * channels + c], x > 0 ? x : 0.0f);
    }
  }
}

TEST(PlainOpsTest, PReluNchwUsesOneSlopePerPlane) {
  const int64_t channels = 5, plane = 23, n = 2 * channels * plane;  // two items
  const auto in = Random(n, 3), slope = Random(channels, 4);
  std::vector<float> out(n);
  PRelu(in.data(), slope.data(), out.data(), n, channels, plane);
  for (int64_t i = 0; i < n; ++i) {
    const float s = slope[(i / plane) % channels];
    EXPECT_FLOAT_EQ(out[i], in[i] > 0 ? in[i] : in[i] * s) << i;
  }
}

TEST(PlainOpsTest, BinaryDenseScalarAndBroadcast) {
  const auto a = Random(3 * 4 * 5, 5), b = Random(3 * 4 * 5, 6), row = Random(5, 7);
  const float scalar = 0.75f;
  std::vector<float> out(a.size());
  Binary(BinaryOp::kSub, a.data(), {3, 4, 5}, b.data(), {3, 4, 5}, out.data(), {3, 4, 5});
  for (size_t i = 0; i < a.size(); ++i) EXPECT_FLOAT_EQ(out[i], a[i] - b[i]);
  Binary(BinaryOp::kDiv, &scalar, {1}, a.data(), {3, 4, 5}, out.data(), {3, 4, 5});
  for (size_t i = 0; i < a.size(); ++i) EXPECT_FLOAT_EQ(out[i], scalar / a[i]);
  Binary(BinaryOp::kMul, a.data(), {3, 4, 5}, &scalar, {1}, out.data(), {3, 4, 5});
  for (size_t i = 0; i < a.size(); ++i) EXPECT_FLOAT_EQ(out[i], a[i] * scalar);
  Binary(BinaryOp::kAdd, a.data(), {3, 4, 5}, row.data(), {5}, out.data(), {3, 4, 5});
  for (size_t i = 0; i < a.size(); ++i) EXPECT_FLOAT_EQ(out[i], a[i] + row[i % 5]);
}

TEST(PlainOpsTest, UnaryReluAndExp) {
  const auto in = Random(41, 8);
  std::vector<float> out(in.size());
  Unary(UnaryOp::kRelu, in.data(), out.data(), static_cast<int64_t>(in.size()));
  for (size_t i = 0; i < in.size(); ++i) EXPECT_FLOAT_EQ(out[i], std::max(in[i], 0.0f));
  Unary(UnaryOp::kExp, in.data(), out.data(), static_cast<int64_t>(in.size()));
  for (size_t i = 0; i < in.size(); ++i) EXPECT_NEAR(out[i], std::exp(in[i]), 1e-6 * out[i]);
}

}  // namespace
}  // namespace likeness::vision::inference
