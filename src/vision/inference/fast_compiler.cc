#include "vision/inference/fast_compiler.h"

namespace likeness::vision::inference::fast {

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

  // bf16: dense convolutions read a bf16 copy of their input and bf16 weights and write fp32
  // (depthwise ones, a few % of the FLOPs, stay fp32 and save the copy).
  const bool bf16 = req_.bf16 && groups == 1;
  const auto in_type = bf16 ? kBf16 : kF32;
  const memory::desc src_f32_md({n_, c, h, wd}, kF32, Tag::nhwc);
  const memory::desc src_md({n_, c, h, wd}, in_type, Tag::nhwc);
  const memory::desc dst_md({n_, o, oh, ow}, kF32, Tag::nhwc);
  const memory::desc bias_md({o}, kF32, Tag::a);
  const memory::dims wdims = groups > 1 ? memory::dims{groups, o / groups, c / groups, kh, kw}
                                        : memory::dims{o, c, kh, kw};
  const memory::desc w_any(wdims, in_type, Tag::any);
  dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference,
                                       dnnl::algorithm::convolution_direct, src_md, w_any, bias_md,
                                       dst_md, {strides[0], strides[1]}, {dil[0] - 1, dil[1] - 1},
                                       {pads[0], pads[1]}, {pads[2], pads[3]});
  dnnl::convolution_forward::primitive_desc pd(desc, attr, eng_);
  // oneDNN 2.6 has no JIT kernel for some post-op combinations (the PReLU post-op on NHWC
  // convolutions falls to the reference kernel, ~50x slower): then the conv runs plain and the
  // activation as a loop over its output.
  bool separate_activation = false;
  if (po.len() > 0 && std::string(pd.impl_info_str()).rfind("ref", 0) == 0) {
    dnnl::convolution_forward::primitive_desc plain(desc, eng_);
    if (std::string(plain.impl_info_str()).rfind("ref", 0) != 0) {
      pd = plain;
      separate_activation = true;
    }
  }
  if (std::getenv("LIKENESS_FAST_VERBOSE")) {
    std::fprintf(stderr, "conv %s %s: %lldx%lld k%lld s%lld g%lld in %lldx%lld post-ops %d: %s\n",
                 req_.path.filename().c_str(), node.name.c_str(), static_cast<long long>(o),
                 static_cast<long long>(c), static_cast<long long>(kh),
                 static_cast<long long>(strides[0]), static_cast<long long>(groups),
                 static_cast<long long>(h), static_cast<long long>(wd), po.len(),
                 pd.impl_info_str());
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
  memory dst = SlotMemory(dst_md, y.slot);
  memory src;
  if (bf16) {
    // The bf16 copy lives in a slot of its own for this step only (taken after the output's, so
    // the two never share storage).
    const int copy = NewSlot(static_cast<size_t>((n_ * c * h * wd + 1) / 2));
    memory from = SlotMemory(src_f32_md, x.slot);
    src = SlotMemory(src_md, copy);
    dnnl::reorder to_bf16(from, src);
    plan_->steps.push_back(
        [to_bf16, from, src](dnnl::stream& st) mutable { to_bf16.execute(st, from, src); });
    --slot_refs_[copy];
  } else {
    src = SlotMemory(src_md, x.slot);
  }
  std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, src},
                                          {DNNL_ARG_WEIGHTS, weights},
                                          {DNNL_ARG_BIAS, bias_mem},
                                          {DNNL_ARG_DST, dst}};
  if (slope && !separate_activation) {
    plan_->consts.push_back(slope);
    memory sm(memory::desc({1, o, 1, 1}, kF32, Tag::nchw), eng_, slope->data());
    plan_->keep.push_back(sm);
    args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_WEIGHTS] = sm;
  }
  dnnl::convolution_forward conv(pd);
  plan_->steps.push_back([conv, args](dnnl::stream& st) { conv.execute(st, args); });
  if (separate_activation) {
    Plan* p = plan_.get();
    const int slot = y.slot;
    const int64_t pixels = n_ * oh * ow;
    const float* sp = slope ? slope->data() : nullptr;
    if (slope) plan_->consts.push_back(slope);
    // In place on the NHWC output: the conv step has finished (one stream, in order).
    plan_->steps.push_back([p, slot, pixels, o, sp](dnnl::stream& st) {
      st.wait();
      ActivateNhwc(p->ptr[slot], sp, pixels, o);
    });
  }
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

}  // namespace likeness::vision::inference::fast
