// Backend::kFast: an ONNX graph compiled, per batch size, into oneDNN 2.6 primitives and a few
// plain loops (plain_ops.h).
//
// Supported operators (anything else makes LoadFastModel return Unsupported, and LoadModel falls
// back to OpenCV for that model):
//   Conv (any kernel, stride, padding, dilation, group; depthwise included), with a following PRelu
//   or Relu fused as a oneDNN post-op when the conv output feeds only that node; Gemm (transB = 1,
//   alpha = beta = 1) with a following BatchNormalization folded into its weights; PRelu, Relu,
//   Add, Sub, Mul, Div (NumPy broadcasting), Exp, Concat, Slice, Softmax (last axis), Flatten,
//   Reshape, Transpose (0,2,3,1 of an NHWC activation only), and Shape / Gather / Unsqueeze /
//   Constant on values known at compile time (folded).
// Activations that come out of convolutions are kept NHWC; the graph input is reordered from the
// caller's NCHW by oneDNN, and NHWC outputs are returned in NCHW.
// (Internals of fast_model.cc; not part of the vision interface.)
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "vision/inference/model.h"
#include "vision/inference/onnx_graph.h"
#include "vision/inference/plain_ops.h"

namespace likeness::vision::inference::fast {

using dnnl::memory;
using Tag = dnnl::memory::format_tag;
constexpr auto kF32 = dnnl::memory::data_type::f32;
constexpr auto kBf16 = dnnl::memory::data_type::bf16;
// Larger batches run in chunks of this many items (bounds the scratch memory of one plan).
constexpr int kMaxPlanBatch = 32;

struct AlignedFree {
  void operator()(float* p) const { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<float, AlignedFree>;

// A compiled forward pass for one batch size.
struct Plan {
  std::vector<size_t> slot_floats;           // capacity of each scratch slot
  std::vector<AlignedBuffer> slots;          // their storage (allocated after compilation)
  std::vector<float*> ptr;                   // slots[i].get()
  std::vector<std::pair<memory, int>> bind;  // oneDNN memories over slot i, bound after allocation
  memory input;                              // the caller's NCHW blob, handle set per run
  std::vector<std::function<void(dnnl::stream&)>> steps;
  std::vector<memory> keep;  // reordered weights, post-op slopes
  std::vector<std::shared_ptr<std::vector<float>>> consts;
  struct Output {
    int slot;
    Dims dims;
  };
  std::vector<Output> outputs;
  double flops_per_item = 0;
};

// A tensor during compilation: a constant, or a runtime value in a scratch slot.
struct Value {
  Dims dims;          // ONNX logical dims, batch first
  bool nhwc = false;  // a 4-D activation stored as N,H,W,C
  int slot = -1;
  bool is_const = false;
  std::shared_ptr<std::vector<float>> f;  // float constant
  std::vector<int64_t> i;                 // int constant
  bool int_const = false;
};

class Unsupported : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Compiler {
 public:
  // count_only: shapes and FLOPs only, no oneDNN primitives (CountFlopsPerItem).
  Compiler(const OnnxGraph& g, const ModelRequest& r, dnnl::engine& eng, int batch,
           bool count_only = false)
      : g_(g), req_(r), eng_(eng), n_(batch), count_only_(count_only) {}

  std::unique_ptr<Plan> Compile() {
    plan_ = std::make_unique<Plan>();
    for (const auto& node : g_.nodes) {
      for (const auto& in : node.inputs) ++uses_[in];
    }
    for (const auto& out : g_.outputs) uses_[out] += 1 << 28;  // never released
    for (const auto& [name, t] : g_.initializers) values_[name] = FromTensor(t);
    DefineInput();
    std::set<size_t> fused;
    for (size_t k = 0; k < g_.nodes.size(); ++k) {
      if (fused.count(k)) continue;
      const OnnxNode& node = g_.nodes[k];
      Emit(node, k, fused);
      for (const auto& in : node.inputs) Release(in);
    }
    std::vector<std::string> names = req_.outputs.empty() ? g_.outputs : req_.outputs;
    for (const auto& name : names) plan_->outputs.push_back(OutputOf(name));
    Allocate();
    return std::move(plan_);
  }

 private:
  static Value FromTensor(const OnnxTensor& t) {
    Value v;
    v.is_const = true;
    v.dims = t.dims;
    if (t.data_type == 1) {
      v.f = std::make_shared<std::vector<float>>(t.floats);
    } else {
      v.int_const = true;
      v.i = t.ints;
    }
    return v;
  }

  Value& Get(const std::string& name) {
    auto it = values_.find(name);
    if (it == values_.end()) throw Unsupported("value '" + name + "' is not computed");
    return it->second;
  }
  const std::vector<float>& FloatConst(const std::string& name) {
    Value& v = Get(name);
    if (!v.is_const || !v.f) throw Unsupported("'" + name + "' must be a float constant");
    return *v.f;
  }

  int NewSlot(size_t floats) {
    for (size_t s = 0; s < slot_refs_.size(); ++s) {
      if (slot_refs_[s] == 0) {
        slot_refs_[s] = 1;
        plan_->slot_floats[s] = std::max(plan_->slot_floats[s], floats);
        return static_cast<int>(s);
      }
    }
    slot_refs_.push_back(1);
    plan_->slot_floats.push_back(floats);
    return static_cast<int>(slot_refs_.size() - 1);
  }
  Value NewValue(Dims dims, bool nhwc) {
    Value v;
    v.dims = std::move(dims);
    v.nhwc = nhwc;
    v.slot = NewSlot(static_cast<size_t>(Elements(v.dims)));
    return v;
  }
  Value Alias(const Value& v, Dims dims, bool nhwc) {
    Value a = v;
    a.dims = std::move(dims);
    a.nhwc = nhwc;
    if (a.slot >= 0) ++slot_refs_[a.slot];
    return a;
  }
  void Release(const std::string& name) {
    auto it = values_.find(name);
    if (it == values_.end() || it->second.is_const) return;
    if (--uses_[name] == 0 && it->second.slot >= 0) --slot_refs_[it->second.slot];
  }
  memory SlotMemory(const memory::desc& md, int slot) {
    memory m(md, eng_, DNNL_MEMORY_NONE);
    plan_->bind.emplace_back(m, slot);
    return m;
  }

  void DefineInput() {
    const Dims nchw = {n_, req_.channels, req_.height, req_.width};
    const memory::desc user({nchw[0], nchw[1], nchw[2], nchw[3]}, kF32, Tag::nchw);
    plan_->input = memory(user, eng_, DNNL_MEMORY_NONE);
    Value v = NewValue(nchw, true);
    memory dst =
        SlotMemory(memory::desc({nchw[0], nchw[1], nchw[2], nchw[3]}, kF32, Tag::nhwc), v.slot);
    dnnl::reorder r(plan_->input, dst);
    memory src = plan_->input;
    plan_->steps.push_back([r, src, dst](dnnl::stream& s) mutable { r.execute(s, src, dst); });
    values_[g_.inputs.at(0)] = v;
  }

  // The single node consuming `name` (by index), or -1.
  int SoleConsumer(const std::string& name, size_t after) const {
    if (uses_.at(name) != 1) return -1;
    for (size_t k = after + 1; k < g_.nodes.size(); ++k) {
      for (const auto& in : g_.nodes[k].inputs) {
        if (in == name) return static_cast<int>(k);
      }
    }
    return -1;
  }

  void Emit(const OnnxNode& node, size_t k, std::set<size_t>& fused);
  void EmitConv(const OnnxNode& node, size_t k, std::set<size_t>& fused);
  void EmitGemm(const OnnxNode& node, size_t k, std::set<size_t>& fused);
  void EmitElementwise(const OnnxNode& node);
  void EmitShapeOp(const OnnxNode& node);
  Plan::Output OutputOf(const std::string& name);
  void Allocate();

  const OnnxGraph& g_;
  const ModelRequest& req_;
  dnnl::engine& eng_;
  const int64_t n_;
  const bool count_only_;
  std::unique_ptr<Plan> plan_;
  std::map<std::string, Value> values_;
  std::map<std::string, int> uses_;
  std::vector<int> slot_refs_;
};

}  // namespace likeness::vision::inference::fast
