#include "openset/demographics.h"

#include <gtest/gtest.h>

#include <fstream>

#include "openset/demographics_plot.h"
#include "testing/test_env.h"

namespace likeness::openset {
namespace {

TEST(Demographics, RatesPerGroupAndSpread) {
  const std::vector<float> x{1, 0}, y{0, 1}, xy{0.6f, 0.8f};
  // Group A: two mated images of p1 (x, x) and one p2 (y): no errors. Group B: p3 (x, y) is a false
  // non-match, p4 (xy) vs p3's x scores 0.6: a false match at 0.5.
  std::vector<LabelledEmbedding> items{{"p1", "A", &x}, {"p1", "A", &x}, {"p2", "A", &y},
                                       {"p3", "B", &x}, {"p3", "B", &y}, {"p4", "B", &xy}};
  const auto r = ComputeDemographicReport(items, 0.5);
  ASSERT_EQ(r.groups.size(), 2u);
  const auto& a = r.groups[0];
  const auto& b = r.groups[1];
  EXPECT_EQ(a.mated_pairs, 1);
  EXPECT_EQ(a.impostor_pairs, 2);
  EXPECT_EQ(a.fmr, 0);
  EXPECT_EQ(b.false_non_matches, 1);
  EXPECT_DOUBLE_EQ(b.fnmr, 1.0);
  EXPECT_EQ(b.false_matches, 2);  // xy vs x (0.6) and xy vs y (0.8)
  EXPECT_TRUE(r.fmr_spread_bounded);
  EXPECT_DOUBLE_EQ(r.fmr_spread, 1.0 / (1.0 / 2));  // B's 1.0 over A's bound 1/2
  const std::string svg = DemographicSvg(r);
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find(">B</text>"), std::string::npos);
  testing::TempDir dir;
  ASSERT_TRUE(WriteDemographicPng(r, dir.path() / "plot.png").ok());
  EXPECT_GT(std::filesystem::file_size(dir.path() / "plot.png"), 1000u);
}

TEST(Demographics, LoadsLabelsAndRejectsBadLines) {
  testing::TempDir dir;
  {
    std::ofstream(dir.path() / "labels.csv")
        << "image,identity,group\na.jpg,p1,g1\n/abs/b.jpg,p2,g2\n";
    std::ofstream(dir.path() / "bad.csv") << "image,identity,group\na.jpg,p1\n";
  }
  auto l = LoadDemographicLabels(dir.path() / "labels.csv");
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  ASSERT_EQ(l->size(), 2u);
  EXPECT_EQ((*l)[0].image, dir.path() / "a.jpg");
  EXPECT_EQ((*l)[1].image, "/abs/b.jpg");
  auto bad = LoadDemographicLabels(dir.path() / "bad.csv");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find(":2"), std::string::npos);
  EXPECT_EQ(LoadDemographicLabels(dir.path() / "none.csv").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace likeness::openset
