// A minimal reader for the ONNX files the face models ship as: the protobuf wire format decoded by
// hand (ModelProto -> GraphProto -> nodes, initializers, inputs, outputs), no generated code and no
// libprotobuf. Only what a forward pass needs is kept: node op types, tensor names, attributes
// (int, float, ints, floats, tensor) and float / int64 initializers. The file is read as it is on
// disk (the sha256-pinned original); nothing is converted or written back.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "likeness/status.h"

namespace likeness::vision::inference {

// An initializer or Constant value. Float tensors fill `floats`, INT64/INT32 tensors `ints`.
struct OnnxTensor {
  std::vector<int64_t> dims;
  int32_t data_type = 0;  // ONNX TensorProto.DataType: 1 float, 6 int32, 7 int64
  std::vector<float> floats;
  std::vector<int64_t> ints;
  int64_t elements() const;
};

struct OnnxAttribute {
  int64_t i = 0;
  float f = 0;
  std::vector<int64_t> ints;
  std::vector<float> floats;
  std::string s;
  OnnxTensor t;
};

struct OnnxNode {
  std::string op_type, name;
  std::vector<std::string> inputs, outputs;
  std::map<std::string, OnnxAttribute> attributes;

  int64_t IntAttr(const std::string& key, int64_t fallback) const;
  float FloatAttr(const std::string& key, float fallback) const;
  std::vector<int64_t> IntsAttr(const std::string& key) const;  // empty when absent
};

struct OnnxGraph {
  std::vector<OnnxNode> nodes;                     // in the file's (topological) order
  std::map<std::string, OnnxTensor> initializers;  // by name
  std::vector<std::string> inputs;                 // graph inputs that are not initializers
  std::vector<std::string> outputs;
};

// Parses `path`. InvalidArgument for a file that is not a well-formed ONNX model (truncated
// varints, lengths past the end, no graph); NotFound when it cannot be read.
Result<OnnxGraph> ReadOnnxGraph(const std::filesystem::path& path);

// Same, from bytes already in memory (for tests).
Result<OnnxGraph> ParseOnnxGraph(const std::string& bytes);

}  // namespace likeness::vision::inference
