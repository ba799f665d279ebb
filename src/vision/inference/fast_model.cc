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
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <set>

#include "vision/inference/model.h"
#include "vision/inference/onnx_graph.h"
#include "vision/inference/plain_ops.h"

namespace likeness::vision::inference {
namespace {

using dnnl::memory;
using Tag = dnnl::memory::format_tag;
constexpr auto kF32 = dnnl::memory::data_type::f32;
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

void Compiler::EmitConv(const OnnxNode& node, size_t k, std::set<size_t>& fused) {
  const Value& x = Get(node.inputs.at(0));
  if (x.is_const || !x.nhwc || x.dims.size() != 4) {
    throw Unsupported("Conv '" + node.name + "' on a non-activation input");
  }
  const Value& w = Get(node.inputs.at(1));
  if (!w.is_const || !w.f || w.dims.size() != 4) throw Unsupported("Conv weights not constant");
  const int64_t groups = node.IntAttr("group", 1);
  const int64_t c = x.dims[1], h = x.dims[2], wd = x.dims[3];
  const int64_t o = w.dims[0], kh = w.dims[2], kw = w.dims[3];
  if (w.dims[1] * groups != c || o % groups != 0) throw Unsupported("Conv group mismatch");
  auto strides = node.IntsAttr("strides"), dil = node.IntsAttr("dilations"),
       pads = node.IntsAttr("pads");
  if (strides.empty()) strides = {1, 1};
  if (dil.empty()) dil = {1, 1};
  if (pads.empty()) pads = {0, 0, 0, 0};
  if (node.attributes.count("auto_pad") && node.attributes.at("auto_pad").s != "NOTSET") {
    throw Unsupported("Conv auto_pad");
  }
  const int64_t oh = (h + pads[0] + pads[2] - dil[0] * (kh - 1) - 1) / strides[0] + 1;
  const int64_t ow = (wd + pads[1] + pads[3] - dil[1] * (kw - 1) - 1) / strides[1] + 1;
  std::vector<float> bias(static_cast<size_t>(o), 0.0f);
  if (node.inputs.size() > 2 && !node.inputs[2].empty()) bias = FloatConst(node.inputs[2]);
  plan_->flops_per_item += 2.0 * o * oh * ow * (c / groups) * kh * kw;

  // Fuse the sole consumer when it is Relu or a per-channel PRelu.
  dnnl::post_ops po;
  std::shared_ptr<std::vector<float>> slope;
  std::string out_name = node.outputs.at(0);
  const int next = SoleConsumer(out_name, k);
  if (next >= 0) {
    const OnnxNode& act = g_.nodes[next];
    if (act.op_type == "Relu") {
      po.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
    } else if (act.op_type == "PRelu" && act.inputs.at(0) == out_name) {
      const Value& sv = Get(act.inputs.at(1));
      if (sv.is_const && sv.f && static_cast<int64_t>(sv.f->size()) == o) {
        slope = sv.f;
        po.append_prelu(1 << 1);
      }
    }
    if (po.len() > 0) {
      fused.insert(static_cast<size_t>(next));
      out_name = act.outputs.at(0);
    }
  }
  if (count_only_) {
    values_[out_name] = NewValue({n_, o, oh, ow}, true);
    return;
  }
  dnnl::primitive_attr attr;
  attr.set_post_ops(po);

  const memory::desc src_md({n_, c, h, wd}, kF32, Tag::nhwc);
  const memory::desc dst_md({n_, o, oh, ow}, kF32, Tag::nhwc);
  const memory::desc bias_md({o}, kF32, Tag::a);
  const memory::dims wdims = groups > 1 ? memory::dims{groups, o / groups, c / groups, kh, kw}
                                        : memory::dims{o, c, kh, kw};
  const memory::desc w_any(wdims, kF32, Tag::any);
  dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference,
                                       dnnl::algorithm::convolution_direct, src_md, w_any, bias_md,
                                       dst_md, {strides[0], strides[1]}, {dil[0] - 1, dil[1] - 1},
                                       {pads[0], pads[1]}, {pads[2], pads[3]});
  dnnl::convolution_forward::primitive_desc pd(desc, attr, eng_);
  if (std::getenv("LIKENESS_FAST_VERBOSE")) {
    std::fprintf(stderr, "conv %s: %s\n", node.name.c_str(), pd.impl_info_str());
  }

  // Weights and bias, reordered once into the layout the kernel wants.
  auto wdata = w.f;
  memory user_w(memory::desc(wdims, kF32, groups > 1 ? Tag::goihw : Tag::oihw), eng_,
                wdata->data());
  memory weights(pd.weights_desc(), eng_);
  dnnl::stream s(eng_);
  dnnl::reorder(user_w, weights).execute(s, user_w, weights);
  s.wait();
  auto bias_data = std::make_shared<std::vector<float>>(std::move(bias));
  plan_->consts.push_back(bias_data);
  memory bias_mem(bias_md, eng_, bias_data->data());
  plan_->keep.push_back(weights);
  plan_->keep.push_back(bias_mem);

  Value y = NewValue({n_, o, oh, ow}, true);
  memory src = SlotMemory(src_md, x.slot), dst = SlotMemory(dst_md, y.slot);
  std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, src},
                                          {DNNL_ARG_WEIGHTS, weights},
                                          {DNNL_ARG_BIAS, bias_mem},
                                          {DNNL_ARG_DST, dst}};
  if (slope) {
    plan_->consts.push_back(slope);
    memory sm(memory::desc({1, o, 1, 1}, kF32, Tag::nchw), eng_, slope->data());
    plan_->keep.push_back(sm);
    args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_WEIGHTS] = sm;
  }
  dnnl::convolution_forward conv(pd);
  plan_->steps.push_back([conv, args](dnnl::stream& st) { conv.execute(st, args); });
  values_[out_name] = y;
}

void Compiler::EmitGemm(const OnnxNode& node, size_t k, std::set<size_t>& fused) {
  const Value& x = Get(node.inputs.at(0));
  if (x.is_const || x.dims.size() != 2 || x.nhwc) throw Unsupported("Gemm input must be 2-D");
  if (node.IntAttr("transA", 0) != 0 || node.FloatAttr("alpha", 1) != 1.0f ||
      node.FloatAttr("beta", 1) != 1.0f) {
    throw Unsupported("Gemm with transA/alpha/beta");
  }
  const Value& wv = Get(node.inputs.at(1));
  if (!wv.is_const || !wv.f || wv.dims.size() != 2) throw Unsupported("Gemm weights");
  const bool trans_b = node.IntAttr("transB", 0) != 0;
  const int64_t kdim = x.dims[1];
  const int64_t m = trans_b ? wv.dims[0] : wv.dims[1];
  if ((trans_b ? wv.dims[1] : wv.dims[0]) != kdim) throw Unsupported("Gemm shape");
  std::vector<float> w(static_cast<size_t>(m * kdim));  // M x K
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < kdim; ++j) {
      w[i * kdim + j] = trans_b ? (*wv.f)[i * kdim + j] : (*wv.f)[j * m + i];
    }
  }
  std::vector<float> bias(static_cast<size_t>(m), 0.0f);
  if (node.inputs.size() > 2 && !node.inputs[2].empty()) {
    const auto& b = FloatConst(node.inputs[2]);
    if (b.size() == bias.size())
      bias = b;
    else if (b.size() == 1)
      std::fill(bias.begin(), bias.end(), b[0]);
    else
      throw Unsupported("Gemm bias shape");
  }
  plan_->flops_per_item += 2.0 * m * kdim;
  std::string out_name = node.outputs.at(0);
  const int next = SoleConsumer(out_name, k);
  if (next >= 0 && g_.nodes[next].op_type == "BatchNormalization") {
    // y = (x - mean) / sqrt(var + eps) * gamma + beta, folded into the rows of w and the bias.
    const OnnxNode& bn = g_.nodes[next];
    const auto &gamma = FloatConst(bn.inputs.at(1)), &beta = FloatConst(bn.inputs.at(2)),
               &mean = FloatConst(bn.inputs.at(3)), &var = FloatConst(bn.inputs.at(4));
    const float eps = bn.FloatAttr("epsilon", 1e-5f);
    for (int64_t i = 0; i < m; ++i) {
      const float a = gamma.at(i) / std::sqrt(var.at(i) + eps);
      for (int64_t j = 0; j < kdim; ++j) w[i * kdim + j] *= a;
      bias[i] = (bias[i] - mean.at(i)) * a + beta.at(i);
    }
    fused.insert(static_cast<size_t>(next));
    out_name = bn.outputs.at(0);
  }
  if (count_only_) {
    values_[out_name] = NewValue({n_, m}, false);
    return;
  }
  const memory::desc src_md({n_, kdim}, kF32, Tag::nc), dst_md({n_, m}, kF32, Tag::nc),
      bias_md({m}, kF32, Tag::a), w_any({m, kdim}, kF32, Tag::any);
  dnnl::inner_product_forward::desc desc(dnnl::prop_kind::forward_inference, src_md, w_any, bias_md,
                                         dst_md);
  dnnl::inner_product_forward::primitive_desc pd(desc, eng_);
  auto wdata = std::make_shared<std::vector<float>>(std::move(w));
  auto bdata = std::make_shared<std::vector<float>>(std::move(bias));
  plan_->consts.push_back(wdata);
  plan_->consts.push_back(bdata);
  memory user_w(memory::desc({m, kdim}, kF32, Tag::oi), eng_, wdata->data());
  memory weights(pd.weights_desc(), eng_);
  dnnl::stream s(eng_);
  dnnl::reorder(user_w, weights).execute(s, user_w, weights);
  s.wait();
  memory bias_mem(bias_md, eng_, bdata->data());
  plan_->keep.push_back(weights);
  plan_->keep.push_back(bias_mem);
  Value y = NewValue({n_, m}, false);
  std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, SlotMemory(src_md, x.slot)},
                                          {DNNL_ARG_WEIGHTS, weights},
                                          {DNNL_ARG_BIAS, bias_mem},
                                          {DNNL_ARG_DST, SlotMemory(dst_md, y.slot)}};
  dnnl::inner_product_forward ip(pd);
  plan_->steps.push_back([ip, args](dnnl::stream& st) { ip.execute(st, args); });
  values_[out_name] = y;
}

void Compiler::EmitElementwise(const OnnxNode& node) {
  const std::string& op = node.op_type;
  const std::string& out = node.outputs.at(0);
  if (op == "Relu" || op == "Exp") {
    const Value& x = Get(node.inputs.at(0));
    if (x.is_const) throw Unsupported(op + " of a constant");
    Value y = NewValue(x.dims, x.nhwc);
    const UnaryOp u = op == "Relu" ? UnaryOp::kRelu : UnaryOp::kExp;
    Plan* p = plan_.get();
    const int a = x.slot, b = y.slot;
    const int64_t n = Elements(x.dims);
    p->steps.push_back([p, u, a, b, n](dnnl::stream&) { Unary(u, p->ptr[a], p->ptr[b], n); });
    values_[out] = y;
    return;
  }
  if (op == "PRelu") {
    const Value& x = Get(node.inputs.at(0));
    const auto slope = Get(node.inputs.at(1)).f;
    if (x.is_const || !slope || x.dims.size() < 2) throw Unsupported("PRelu operands");
    const int64_t channels = x.dims[1];
    if (static_cast<int64_t>(slope->size()) != channels) throw Unsupported("PRelu slope shape");
    int64_t stride = 1;
    if (!x.nhwc) {
      for (size_t d = 2; d < x.dims.size(); ++d) stride *= x.dims[d];
    }
    Value y = NewValue(x.dims, x.nhwc);
    plan_->consts.push_back(slope);
    Plan* p = plan_.get();
    const int a = x.slot, b = y.slot;
    const int64_t n = Elements(x.dims);
    const float* s = slope->data();
    p->steps.push_back([p, a, b, n, s, channels, stride](dnnl::stream&) {
      PRelu(p->ptr[a], s, p->ptr[b], n, channels, stride);
    });
    values_[out] = y;
    return;
  }
  // Binary arithmetic.
  const BinaryOp bop = op == "Add"   ? BinaryOp::kAdd
                       : op == "Sub" ? BinaryOp::kSub
                       : op == "Mul" ? BinaryOp::kMul
                                     : BinaryOp::kDiv;
  const Value a = Get(node.inputs.at(0)), b = Get(node.inputs.at(1));
  if ((a.is_const && !a.f) || (b.is_const && !b.f)) throw Unsupported(op + " on integers");
  if (a.is_const && b.is_const) {
    Value c;
    c.is_const = true;
    c.dims = BroadcastDims(a.dims, b.dims);
    c.f = std::make_shared<std::vector<float>>(static_cast<size_t>(Elements(c.dims)));
    Binary(bop, a.f->data(), a.dims, b.f->data(), b.dims, c.f->data(), c.dims);
    values_[out] = c;
    return;
  }
  Dims out_dims;
  bool nhwc = false;
  Dims ad = a.dims, bd = b.dims;
  if (a.nhwc || b.nhwc) {
    // NHWC storage: only same-shaped activations or a single constant element broadcast.
    const Value& act = a.nhwc ? a : b;
    const Value& other = a.nhwc ? b : a;
    const bool same = !other.is_const && other.nhwc && other.dims == act.dims;
    const bool scalar = other.is_const && Elements(other.dims) == 1;
    if (!same && !scalar) throw Unsupported(op + " broadcast on an NHWC activation");
    out_dims = act.dims;
    nhwc = true;
    if (scalar) (a.nhwc ? bd : ad) = Dims{1};
  } else {
    out_dims = BroadcastDims(a.dims, b.dims);
    if (out_dims.empty() && !(a.dims.empty() && b.dims.empty())) {
      throw Unsupported(op + " shapes do not broadcast");
    }
  }
  Value y = NewValue(out_dims, nhwc);
  if (a.is_const) plan_->consts.push_back(a.f);
  if (b.is_const) plan_->consts.push_back(b.f);
  Plan* p = plan_.get();
  const float* ca = a.is_const ? a.f->data() : nullptr;
  const float* cb = b.is_const ? b.f->data() : nullptr;
  const int sa = a.slot, sb = b.slot, sy = y.slot;
  p->steps.push_back([=](dnnl::stream&) {
    Binary(bop, ca ? ca : p->ptr[sa], ad, cb ? cb : p->ptr[sb], bd, p->ptr[sy], out_dims);
  });
  values_[out] = y;
}

// Reshape an activation: NHWC with more than one pixel is reordered to NCHW first.
static Dims ResolveShape(const Dims& in, const std::vector<int64_t>& shape) {
  Dims out(shape.begin(), shape.end());
  int64_t known = 1;
  int infer = -1;
  for (size_t d = 0; d < out.size(); ++d) {
    if (out[d] == 0 && d < in.size()) out[d] = in[d];
    if (out[d] == -1)
      infer = static_cast<int>(d);
    else
      known *= out[d];
  }
  if (infer >= 0 && known > 0) out[infer] = Elements(in) / known;
  if (Elements(out) != Elements(in)) throw Unsupported("Reshape to a different element count");
  return out;
}

void Compiler::EmitShapeOp(const OnnxNode& node) {
  const std::string& op = node.op_type;
  const std::string& out = node.outputs.at(0);
  if (op == "Constant") {
    auto it = node.attributes.find("value");
    if (it == node.attributes.end()) throw Unsupported("Constant without a tensor value");
    values_[out] = FromTensor(it->second.t);
    return;
  }
  const Value x = Get(node.inputs.at(0));
  if (op == "Shape") {
    Value c;
    c.is_const = c.int_const = true;
    c.i = x.dims;
    c.dims = {static_cast<int64_t>(x.dims.size())};
    values_[out] = c;
    return;
  }
  if (op == "Gather") {
    const Value& idx = Get(node.inputs.at(1));
    if (!x.int_const || !idx.int_const || node.IntAttr("axis", 0) != 0 || x.dims.size() != 1) {
      throw Unsupported("Gather on runtime values");
    }
    Value c;
    c.is_const = c.int_const = true;
    c.dims = idx.dims;
    for (int64_t i : idx.i) c.i.push_back(x.i.at(static_cast<size_t>(i < 0 ? i + x.i.size() : i)));
    values_[out] = c;
    return;
  }
  if (op == "Unsqueeze") {
    std::vector<int64_t> axes = node.IntsAttr("axes");
    if (axes.empty() && node.attributes.count("axes")) axes = {node.IntAttr("axes", 0)};
    if (axes.empty() && node.inputs.size() > 1) axes = Get(node.inputs[1]).i;
    Dims d = x.dims;
    std::sort(axes.begin(), axes.end());
    for (int64_t a : axes) {
      const int64_t at = a < 0 ? a + static_cast<int64_t>(d.size()) + 1 : a;
      d.insert(d.begin() + at, 1);
    }
    if (x.nhwc) throw Unsupported("Unsqueeze of an NHWC activation");
    values_[out] = x.is_const ? [&] { Value c = x; c.dims = d; return c; }() : Alias(x, d, false);
    return;
  }
  if (op == "Transpose") {
    const auto perm = node.IntsAttr("perm");
    if (!x.nhwc || perm != std::vector<int64_t>{0, 2, 3, 1}) throw Unsupported("Transpose perm");
    values_[out] = Alias(x, {x.dims[0], x.dims[2], x.dims[3], x.dims[1]}, false);
    return;
  }
  if (op == "Reshape" || op == "Flatten") {
    Dims target;
    if (op == "Reshape") {
      const Value& s = Get(node.inputs.at(1));
      if (!s.int_const) throw Unsupported("Reshape to a runtime shape");
      std::vector<int64_t> shape = s.i;
      // Models exported for batch 1 reshape to a literal [1, ...]: keep the batch (as OpenCV does).
      if (!shape.empty() && shape[0] == 1 && n_ > 1 && x.dims[0] == n_) shape[0] = n_;
      target = ResolveShape(x.dims, shape);
    } else {
      const int64_t axis = node.IntAttr("axis", 1);
      Dims head(x.dims.begin(), x.dims.begin() + axis), tail(x.dims.begin() + axis, x.dims.end());
      target = {Elements(head), Elements(tail)};
    }
    if (x.is_const) {
      Value c = x;
      c.dims = target;
      values_[out] = c;
      return;
    }
    if (x.nhwc && x.dims[2] * x.dims[3] > 1) {
      Plan::Output o = OutputOf(node.inputs.at(0));  // reordered to NCHW in a slot of its own
      Value v;
      v.dims = target;
      v.slot = o.slot;
      values_[out] = v;
      return;
    }
    values_[out] = Alias(x, target, false);
    return;
  }
  throw Unsupported("operator " + op);
}

Plan::Output Compiler::OutputOf(const std::string& name) {
  const Value& v = Get(name);
  if (v.is_const) throw Unsupported("constant output " + name);
  if (!v.nhwc || v.dims[2] * v.dims[3] == 1) {
    if (v.slot >= 0) ++slot_refs_[v.slot];  // outputs stay live until the end
    return {v.slot, v.dims};
  }
  const memory::dims d = {v.dims[0], v.dims[1], v.dims[2], v.dims[3]};
  const int slot = NewSlot(static_cast<size_t>(Elements(v.dims)));
  memory src = SlotMemory(memory::desc(d, kF32, Tag::nhwc), v.slot);
  memory dst = SlotMemory(memory::desc(d, kF32, Tag::nchw), slot);
  dnnl::reorder r(src, dst);
  plan_->steps.push_back([r, src, dst](dnnl::stream& s) mutable { r.execute(s, src, dst); });
  return {slot, v.dims};
}

void Compiler::Emit(const OnnxNode& node, size_t k, std::set<size_t>& fused) {
  const std::string& op = node.op_type;
  if (node.outputs.size() != 1) throw Unsupported(op + " with several outputs");
  if (op == "Conv") return EmitConv(node, k, fused);
  if (op == "Gemm") return EmitGemm(node, k, fused);
  if (op == "Relu" || op == "Exp" || op == "PRelu" || op == "Add" || op == "Sub" || op == "Mul" ||
      op == "Div") {
    return EmitElementwise(node);
  }
  if (op == "Softmax") {
    const Value x = Get(node.inputs.at(0));
    const int64_t rank = static_cast<int64_t>(x.dims.size());
    int64_t axis = node.IntAttr("axis", rank - 1);
    if (axis < 0) axis += rank;
    if (x.is_const || x.nhwc || axis != rank - 1) throw Unsupported("Softmax not on the last axis");
    Value y = NewValue(x.dims, false);
    Plan* p = plan_.get();
    const int a = x.slot, b = y.slot;
    const Dims d = x.dims;
    p->steps.push_back([p, a, b, d](dnnl::stream&) { SoftmaxLast(p->ptr[a], p->ptr[b], d); });
    values_[node.outputs[0]] = y;
    return;
  }
  if (op == "Concat") {
    std::vector<Value> in;
    for (const auto& name : node.inputs) in.push_back(Get(name));
    int64_t axis = node.IntAttr("axis", 0);
    const int64_t rank = static_cast<int64_t>(in[0].dims.size());
    if (axis < 0) axis += rank;
    bool all_int = true, any_nhwc = false;
    for (const auto& v : in) all_int &= v.int_const, any_nhwc |= v.nhwc;
    if (all_int) {
      Value c;
      c.is_const = c.int_const = true;
      for (const auto& v : in) c.i.insert(c.i.end(), v.i.begin(), v.i.end());
      c.dims = {static_cast<int64_t>(c.i.size())};
      values_[node.outputs[0]] = c;
      return;
    }
    std::vector<Dims> dims;
    for (const auto& v : in) {
      if (v.is_const || v.nhwc != any_nhwc || static_cast<int64_t>(v.dims.size()) != rank) {
        throw Unsupported("Concat of mixed inputs");
      }
      // NHWC activations concatenate along channels = the last stored axis.
      dims.push_back(any_nhwc ? Dims{v.dims[0], v.dims[2], v.dims[3], v.dims[1]} : v.dims);
    }
    if (any_nhwc && axis != 1) throw Unsupported("Concat of activations not along channels");
    const int stored_axis = any_nhwc ? 3 : static_cast<int>(axis);
    Dims out = dims[0];
    out[stored_axis] = 0;
    for (const auto& d : dims) out[stored_axis] += d[stored_axis];
    Dims logical = any_nhwc ? Dims{out[0], out[3], out[1], out[2]} : out;
    Value y = NewValue(logical, any_nhwc);
    std::vector<int> slots;
    for (const auto& v : in) slots.push_back(v.slot);
    Plan* p = plan_.get();
    const int sy = y.slot;
    p->steps.push_back([p, slots, dims, stored_axis, sy, out](dnnl::stream&) {
      std::vector<const float*> src;
      for (int s : slots) src.push_back(p->ptr[s]);
      Concat(src, dims, stored_axis, p->ptr[sy], out);
    });
    values_[node.outputs[0]] = y;
    return;
  }
  if (op == "Slice") {
    const Value x = Get(node.inputs.at(0));
    std::vector<int64_t> starts = node.IntsAttr("starts"), ends = node.IntsAttr("ends"),
                         axes = node.IntsAttr("axes");
    if (starts.empty() && node.attributes.count("starts")) {
      starts = {node.IntAttr("starts", 0)};
      ends = {node.IntAttr("ends", 0)};
      axes = {node.IntAttr("axes", 0)};
    }
    if (node.inputs.size() >= 3) {
      starts = Get(node.inputs[1]).i;
      ends = Get(node.inputs[2]).i;
      axes = node.inputs.size() > 3 ? Get(node.inputs[3]).i : std::vector<int64_t>{0};
      if (node.inputs.size() > 4 && Get(node.inputs[4]).i != std::vector<int64_t>{1}) {
        throw Unsupported("Slice with steps");
      }
    }
    if (x.is_const || x.nhwc || starts.size() != 1 || ends.size() != 1 || axes.size() != 1) {
      throw Unsupported("Slice form");
    }
    const int64_t rank = static_cast<int64_t>(x.dims.size());
    const int axis = static_cast<int>(axes[0] < 0 ? axes[0] + rank : axes[0]);
    const int64_t len = x.dims[axis];
    auto clamp = [len](int64_t v) { return std::clamp(v < 0 ? v + len : v, int64_t{0}, len); };
    const int64_t from = clamp(starts[0]), to = clamp(ends[0]);
    if (to <= from) throw Unsupported("empty Slice");
    Dims d = x.dims;
    d[axis] = to - from;
    Value y = NewValue(d, false);
    Plan* p = plan_.get();
    const int a = x.slot, b = y.slot;
    const Dims in_dims = x.dims;
    p->steps.push_back([p, a, b, in_dims, axis, from, d](dnnl::stream&) {
      Slice(p->ptr[a], in_dims, axis, from, p->ptr[b], d);
    });
    values_[node.outputs[0]] = y;
    return;
  }
  EmitShapeOp(node);
}

void Compiler::Allocate() {
  Plan& p = *plan_;
  for (size_t floats : p.slot_floats) {
    const size_t bytes = ((std::max<size_t>(floats, 1) * sizeof(float) + 63) / 64) * 64;
    p.slots.emplace_back(static_cast<float*>(std::aligned_alloc(64, bytes)));
    if (!p.slots.back()) throw std::bad_alloc();
    p.ptr.push_back(p.slots.back().get());
  }
  for (auto& [m, slot] : p.bind) m.set_data_handle(p.ptr[slot]);
}

class FastModel final : public Model {
 public:
  FastModel(const ModelRequest& request, OnnxGraph graph)
      : graph_(std::move(graph)), engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {
    request_ = request;
  }
  std::string_view backend() const override { return "fast"; }

  // Compiles the batch-1 plan (which proves every node is supported) and counts FLOPs.
  void Prepare() { flops_per_item_ = PlanFor(1).flops_per_item; }

 protected:
  Status DoRun(const cv::Mat& input, std::vector<cv::Mat>& outputs) override {
    // One thread per call: parallelism comes from the workers, one image (or batch) each.
    omp_set_num_threads(1);
    const int n = input.size[0];
    const size_t item = input.total() / static_cast<size_t>(n);
    outputs.clear();
    try {
      for (int from = 0; from < n; from += kMaxPlanBatch) {
        const int count = std::min(kMaxPlanBatch, n - from);
        Plan& plan = PlanFor(count);
        plan.input.set_data_handle(const_cast<float*>(input.ptr<float>()) + from * item);
        for (auto& step : plan.steps) step(stream_);
        stream_.wait();
        if (outputs.empty()) {
          for (const auto& o : plan.outputs) {
            std::vector<int> dims(o.dims.begin(), o.dims.end());
            dims[0] = n;
            outputs.emplace_back(static_cast<int>(dims.size()), dims.data(), CV_32F);
          }
        }
        for (size_t k = 0; k < plan.outputs.size(); ++k) {
          const auto& o = plan.outputs[k];
          const size_t floats = static_cast<size_t>(Elements(o.dims));
          std::memcpy(outputs[k].ptr<float>() + from * (floats / count), plan.ptr[o.slot],
                      floats * sizeof(float));
        }
      }
    } catch (const dnnl::error& e) {
      return Status::Internal(request_.path.filename().string() + " (oneDNN): " + e.what());
    } catch (const std::exception& e) {
      return Status::Internal(request_.path.filename().string() + ": " + e.what());
    }
    return Status::Ok();
  }

 private:
  Plan& PlanFor(int batch) {
    auto& slot = plans_[batch];
    if (!slot) slot = Compiler(graph_, request_, engine_, batch).Compile();
    return *slot;
  }

  OnnxGraph graph_;
  dnnl::engine engine_;
  dnnl::stream stream_;
  std::map<int, std::unique_ptr<Plan>> plans_;
};

}  // namespace

Result<double> CountFlopsPerItem(const ModelRequest& request) {
  ASSIGN_OR_RETURN(OnnxGraph graph, ReadOnnxGraph(request.path));
  try {
    dnnl::engine engine(dnnl::engine::kind::cpu, 0);
    return Compiler(graph, request, engine, 1, /*count_only=*/true).Compile()->flops_per_item;
  } catch (const std::exception& e) {
    return Status::Unsupported(std::string("cannot count FLOPs: ") + e.what());
  }
}

Result<std::unique_ptr<Model>> LoadFastModel(const ModelRequest& request) {
  ASSIGN_OR_RETURN(OnnxGraph graph, ReadOnnxGraph(request.path));
  if (graph.inputs.size() != 1) return Status::Unsupported("fast backend: one graph input only");
  try {
    auto model = std::make_unique<FastModel>(request, std::move(graph));
    model->Prepare();
    return std::unique_ptr<Model>(std::move(model));
  } catch (const Unsupported& e) {
    return Status::Unsupported(std::string("fast backend: ") + e.what());
  } catch (const dnnl::error& e) {
    return Status::Unsupported(std::string("fast backend (oneDNN): ") + e.what());
  } catch (const std::exception& e) {
    return Status::Unsupported(std::string("fast backend: ") + e.what());
  }
}

}  // namespace likeness::vision::inference
