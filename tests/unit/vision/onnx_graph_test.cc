// The hand-written ONNX reader (vision/inference/onnx_graph.h): the pinned embedder parses into its
// known topology, and malformed bytes (not ONNX, truncated, lengths past the end) are clear
// InvalidArgument errors, never a crash or a half-read graph. The real-file case skips without
// the models (scripts/setup).
#include "vision/inference/onnx_graph.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "testing/test_env.h"

namespace likeness::vision::inference {
namespace {

std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(OnnxGraphTest, MalformedBytesAreInvalidArgument) {
  for (const std::string& bytes : {std::string(), std::string("not a model"),
                                   std::string("\x3a\xff\xff\xff\xff\x0f", 6),  // graph past end
                                   std::string("\x3a\x02\x0a", 3)}) {
    auto g = ParseOnnxGraph(bytes);
    ASSERT_FALSE(g.ok());
    EXPECT_EQ(g.status().code(), StatusCode::kInvalidArgument) << g.status().ToString();
  }
  EXPECT_EQ(ReadOnnxGraph("/nonexistent/model.onnx").status().code(), StatusCode::kNotFound);
}

TEST(OnnxGraphTest, ReadsTheEmbedderAndRejectsEveryTruncation) {
  const auto dir = likeness::testing::ModelDir();
  ASSERT_TRUE(dir) << "models missing: run scripts/setup";
  const std::string bytes = ReadAll(*dir / "fr_feature.onnx");
  auto g = ParseOnnxGraph(bytes);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  int conv = 0, prelu = 0, add = 0;
  for (const auto& n : g->nodes) {
    conv += n.op_type == "Conv";
    prelu += n.op_type == "PRelu";
    add += n.op_type == "Add";
  }
  EXPECT_EQ(conv, 50);
  EXPECT_EQ(prelu, 33);
  EXPECT_EQ(add, 12);
  ASSERT_EQ(g->inputs.size(), 1u);
  EXPECT_EQ(g->inputs[0], "input");
  const OnnxTensor& first = g->initializers.at(g->nodes[0].inputs[1]);
  EXPECT_EQ(first.dims, (std::vector<int64_t>{64, 3, 3, 3}));
  EXPECT_EQ(first.floats.size(), 64u * 27u);
  EXPECT_EQ(g->nodes[0].IntsAttr("strides"), (std::vector<int64_t>{2, 2}));
  // A file cut anywhere inside the graph is an error, not a smaller graph.
  for (size_t cut : {bytes.size() / 3, bytes.size() / 2, bytes.size() - 1}) {
    auto t = ParseOnnxGraph(bytes.substr(0, cut));
    EXPECT_FALSE(t.ok()) << "cut at " << cut;
  }
}

}  // namespace
}  // namespace likeness::vision::inference
