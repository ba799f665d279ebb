// Backend::kFast: the Model that runs compiled plans (fast_compiler.h), one per batch size.
#include <omp.h>

#include <cstring>
#include <map>

#include "vision/inference/fast_compiler.h"

namespace likeness::vision::inference {
namespace {
using fast::Compiler;
using fast::kMaxPlanBatch;
using fast::Plan;
using fast::Unsupported;

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

bool NativeBf16() {
  try {
    // oneDNN's ISA values are cumulative bit sets (avx512_core_bf16 = avx512_core_vnni | bf16).
    const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
    return (isa & dnnl_cpu_isa_avx512_core_bf16) == dnnl_cpu_isa_avx512_core_bf16;
  } catch (const std::exception&) {
    return false;
  }
}

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
    // oneDNN sizes its kernels' thread decomposition when a primitive is created: one thread
    // here as in DoRun, or a batch-1 plan compiled now would run on every core.
    omp_set_num_threads(1);
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
