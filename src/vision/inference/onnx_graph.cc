#include "vision/inference/onnx_graph.h"

#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>

namespace likeness::vision::inference {
namespace {

// One protobuf field: its number, wire type and either the varint / fixed value or the bytes of a
// length-delimited payload.
struct Field {
  uint32_t number = 0;
  uint32_t wire = 0;
  uint64_t varint = 0;
  std::string_view bytes;
};

// Reads the fields of one message in order. ok() turns false at the first malformed byte.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool ok() const { return ok_; }
  bool Next(Field& f) {
    if (!ok_ || pos_ >= data_.size()) return false;
    uint64_t key = 0;
    if (!Varint(key)) return ok_ = false;
    f.number = static_cast<uint32_t>(key >> 3);
    f.wire = static_cast<uint32_t>(key & 7);
    f.bytes = {};
    switch (f.wire) {
      case 0:
        return (ok_ = Varint(f.varint));
      case 1:
        return (ok_ = Fixed(8, f));
      case 5:
        return (ok_ = Fixed(4, f));
      case 2: {
        uint64_t n = 0;
        if (!Varint(n) || n > data_.size() - pos_) return ok_ = false;
        f.bytes = data_.substr(pos_, n);
        pos_ += n;
        return true;
      }
      default:
        return ok_ = false;
    }
  }

 private:
  bool Varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64 && pos_ < data_.size(); shift += 7) {
      const uint8_t c = static_cast<uint8_t>(data_[pos_++]);
      v |= static_cast<uint64_t>(c & 0x7f) << shift;
      if (c < 0x80) return true;
    }
    return false;
  }
  bool Fixed(size_t n, Field& f) {
    if (n > data_.size() - pos_) return false;
    f.varint = 0;
    std::memcpy(&f.varint, data_.data() + pos_, n);
    f.bytes = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  std::string_view data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

float AsFloat(const Field& f) {
  float v = 0;
  const uint32_t bits = static_cast<uint32_t>(f.varint);
  std::memcpy(&v, &bits, 4);
  return v;
}

// Packed (wire 2) or unpacked repeated varints.
bool AppendVarints(const Field& f, std::vector<int64_t>& out) {
  if (f.wire == 0) {
    out.push_back(static_cast<int64_t>(f.varint));
    return true;
  }
  if (f.wire != 2) return false;
  // A packed run is a sequence of bare varints; wrap each as field 1 to reuse the reader.
  size_t pos = 0;
  while (pos < f.bytes.size()) {
    uint64_t v = 0;
    int shift = 0;
    bool done = false;
    while (pos < f.bytes.size() && shift < 64) {
      const uint8_t c = static_cast<uint8_t>(f.bytes[pos++]);
      v |= static_cast<uint64_t>(c & 0x7f) << shift;
      shift += 7;
      if (c < 0x80) {
        done = true;
        break;
      }
    }
    if (!done) return false;
    out.push_back(static_cast<int64_t>(v));
  }
  return true;
}

bool AppendFloats(const Field& f, std::vector<float>& out) {
  if (f.wire == 5) {
    out.push_back(AsFloat(f));
    return true;
  }
  if (f.wire != 2 || f.bytes.size() % 4 != 0) return false;
  const size_t n = f.bytes.size() / 4;
  const size_t at = out.size();
  out.resize(at + n);
  std::memcpy(out.data() + at, f.bytes.data(), f.bytes.size());
  return true;
}

bool ParseTensor(std::string_view data, OnnxTensor& t, std::string* name) {
  Reader r(data);
  Field f;
  std::string_view raw;
  while (r.Next(f)) {
    switch (f.number) {
      case 1:
        if (!AppendVarints(f, t.dims)) return false;
        break;
      case 2:
        t.data_type = static_cast<int32_t>(f.varint);
        break;
      case 4:
        if (!AppendFloats(f, t.floats)) return false;
        break;
      case 5:  // int32_data
      case 7:  // int64_data
        if (!AppendVarints(f, t.ints)) return false;
        break;
      case 8:
        if (name) *name = std::string(f.bytes);
        break;
      case 9:
        raw = f.bytes;
        break;
      default:
        break;
    }
  }
  if (!r.ok()) return false;
  if (!raw.empty()) {
    if (t.data_type == 1) {
      if (raw.size() % 4) return false;
      t.floats.resize(raw.size() / 4);
      std::memcpy(t.floats.data(), raw.data(), raw.size());
    } else if (t.data_type == 7) {
      if (raw.size() % 8) return false;
      t.ints.resize(raw.size() / 8);
      std::memcpy(t.ints.data(), raw.data(), raw.size());
    } else if (t.data_type == 6) {
      if (raw.size() % 4) return false;
      std::vector<int32_t> v(raw.size() / 4);
      std::memcpy(v.data(), raw.data(), raw.size());
      t.ints.assign(v.begin(), v.end());
    } else {
      return false;  // other element types are not used by the face models
    }
  }
  const int64_t n = t.elements();
  const size_t have = t.data_type == 1 ? t.floats.size() : t.ints.size();
  return n >= 0 && static_cast<size_t>(n) == have;
}

bool ParseAttribute(std::string_view data, std::string& name, OnnxAttribute& a) {
  Reader r(data);
  Field f;
  while (r.Next(f)) {
    switch (f.number) {
      case 1:
        name = std::string(f.bytes);
        break;
      case 2:
        a.f = AsFloat(f);
        break;
      case 3:
        a.i = static_cast<int64_t>(f.varint);
        break;
      case 4:
        a.s = std::string(f.bytes);
        break;
      case 5:
        if (!ParseTensor(f.bytes, a.t, nullptr)) return false;
        break;
      case 7:
        if (!AppendFloats(f, a.floats)) return false;
        break;
      case 8:
        if (!AppendVarints(f, a.ints)) return false;
        break;
      default:
        break;
    }
  }
  return r.ok() && !name.empty();
}

bool ParseNode(std::string_view data, OnnxNode& n) {
  Reader r(data);
  Field f;
  while (r.Next(f)) {
    switch (f.number) {
      case 1:
        n.inputs.emplace_back(f.bytes);
        break;
      case 2:
        n.outputs.emplace_back(f.bytes);
        break;
      case 3:
        n.name = std::string(f.bytes);
        break;
      case 4:
        n.op_type = std::string(f.bytes);
        break;
      case 5: {
        std::string key;
        OnnxAttribute a;
        if (!ParseAttribute(f.bytes, key, a)) return false;
        n.attributes[key] = std::move(a);
        break;
      }
      default:
        break;
    }
  }
  return r.ok() && !n.op_type.empty();
}

// ValueInfoProto: field 1 is the name.
bool ValueInfoName(std::string_view data, std::string& name) {
  Reader r(data);
  Field f;
  while (r.Next(f)) {
    if (f.number == 1) name = std::string(f.bytes);
  }
  return r.ok() && !name.empty();
}

}  // namespace

int64_t OnnxTensor::elements() const {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) return -1;
    n *= d;
  }
  return n;
}

int64_t OnnxNode::IntAttr(const std::string& key, int64_t fallback) const {
  auto it = attributes.find(key);
  return it == attributes.end() ? fallback : it->second.i;
}
float OnnxNode::FloatAttr(const std::string& key, float fallback) const {
  auto it = attributes.find(key);
  return it == attributes.end() ? fallback : it->second.f;
}
std::vector<int64_t> OnnxNode::IntsAttr(const std::string& key) const {
  auto it = attributes.find(key);
  return it == attributes.end() ? std::vector<int64_t>{} : it->second.ints;
}

Result<OnnxGraph> ParseOnnxGraph(const std::string& bytes) {
  Reader model(bytes);
  Field f;
  std::string_view graph_bytes;
  while (model.Next(f)) {
    if (f.number == 7 && f.wire == 2) graph_bytes = f.bytes;
  }
  if (!model.ok() || graph_bytes.empty()) {
    return Status::InvalidArgument("not an ONNX model (no graph)");
  }
  OnnxGraph g;
  std::vector<std::string> declared_inputs;
  Reader graph(graph_bytes);
  while (graph.Next(f)) {
    if (f.wire != 2) continue;
    if (f.number == 1) {
      OnnxNode n;
      if (!ParseNode(f.bytes, n)) return Status::InvalidArgument("malformed ONNX node");
      g.nodes.push_back(std::move(n));
    } else if (f.number == 5) {
      OnnxTensor t;
      std::string name;
      if (!ParseTensor(f.bytes, t, &name) || name.empty()) {
        return Status::InvalidArgument("malformed ONNX initializer");
      }
      g.initializers[name] = std::move(t);
    } else if (f.number == 11 || f.number == 12) {
      std::string name;
      if (!ValueInfoName(f.bytes, name)) return Status::InvalidArgument("malformed ONNX value");
      (f.number == 11 ? declared_inputs : g.outputs).push_back(std::move(name));
    }
  }
  if (!graph.ok()) return Status::InvalidArgument("malformed ONNX graph");
  for (auto& name : declared_inputs) {
    if (!g.initializers.count(name)) g.inputs.push_back(std::move(name));
  }
  if (g.inputs.empty() || g.outputs.empty() || g.nodes.empty()) {
    return Status::InvalidArgument("ONNX graph without inputs, outputs or nodes");
  }
  return g;
}

Result<OnnxGraph> ReadOnnxGraph(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ParseOnnxGraph(ss.str());
}

}  // namespace likeness::vision::inference
