#include <gtest/gtest.h>

#include <fstream>

#include "testing/test_env.h"
#include "vision/model_manifest.h"

namespace likeness::vision {
namespace {

TEST(ManifestTest, BuiltinManifestParses) {
  auto m = BuiltinManifest();
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->detector.file, "fr_detect.onnx");
  EXPECT_EQ(m->embedder.dim, 512);
  EXPECT_EQ(m->file_sha256.at("fr_feature.onnx").size(), 64u);
  EXPECT_NEAR(m->template_112[0].x, 38.2946f, 1e-4);
  EXPECT_EQ(m->EmbedderModelId().rfind("mobilefacenet512-fr_feature@87aacdfe5751", 0), 0u);
}

TEST(ManifestTest, BadJsonIsInvalidArgument) {
  EXPECT_EQ(ParseManifest("{").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseManifest(R"({"packages":[]})").status().code(), StatusCode::kInvalidArgument);
}

TEST(ManifestTest, MissingModelFileIsNamedWithItsHash) {
  auto m = BuiltinManifest();
  ASSERT_TRUE(m.ok());
  testing::TempDir dir;
  auto r = LoadVerifiedModels(*m, dir.path());
  ASSERT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find(".onnx"), std::string::npos);
  EXPECT_NE(r.status().message().find("expected sha256"), std::string::npos);
}

TEST(ManifestTest, AlteredModelFileIsCorruptionNamingExpectedHash) {
  auto m = BuiltinManifest();
  ASSERT_TRUE(m.ok());
  testing::TempDir dir;
  for (const auto& [file, hash] : m->file_sha256) {
    std::ofstream(dir.path() / file, std::ios::binary) << "not the model";
  }
  auto r = LoadVerifiedModels(*m, dir.path());
  ASSERT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_NE(r.status().message().find("expected"), std::string::npos);
}

TEST(ManifestTest, RealModelsVerify) {
  auto dir = testing::ModelDir();
  if (!dir) GTEST_SKIP() << "models not set up (run scripts/setup)";
  auto m = BuiltinManifest();
  ASSERT_TRUE(m.ok());
  auto r = LoadVerifiedModels(*m, *dir);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
}

}  // namespace
}  // namespace likeness::vision
