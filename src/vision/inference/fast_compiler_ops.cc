// Compilation of the element-wise, shape and layout operators (fast_compiler.h).
#include "vision/inference/fast_compiler.h"

namespace likeness::vision::inference::fast {

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

}  // namespace likeness::vision::inference::fast
