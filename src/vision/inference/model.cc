#include "vision/inference/model.h"

#include <atomic>
#include <chrono>

namespace likeness::vision::inference {
namespace {
std::atomic<Backend> g_default_backend{Backend::kFast};
std::atomic<Precision> g_default_precision{Precision::kFp32};
}  // namespace

std::string_view BackendName(Backend b) { return b == Backend::kOpenCv ? "opencv" : "fast"; }

Result<Backend> ParseBackend(std::string_view name) {
  if (name == "opencv") return Backend::kOpenCv;
  if (name == "fast") return Backend::kFast;
  return Status::InvalidArgument("unknown inference backend '" + std::string(name) +
                                 "' (expected opencv or fast)");
}

void SetDefaultBackend(Backend b) { g_default_backend.store(b); }
Backend DefaultBackend() { return g_default_backend.load(); }

std::string_view PrecisionName(Precision p) { return p == Precision::kBf16 ? "bf16" : "fp32"; }

Result<Precision> ParsePrecision(std::string_view name) {
  if (name == "fp32") return Precision::kFp32;
  if (name == "bf16") return Precision::kBf16;
  return Status::InvalidArgument("unknown inference precision '" + std::string(name) +
                                 "' (expected fp32 or bf16)");
}

void SetDefaultPrecision(Precision p) { g_default_precision.store(p); }
Precision DefaultPrecision() { return g_default_precision.load(); }

Status Model::Run(const cv::Mat& input, std::vector<cv::Mat>& outputs) {
  if (input.dims != 4 || input.type() != CV_32F || input.size[0] < 1 ||
      input.size[1] != request_.channels || input.size[2] != request_.height ||
      input.size[3] != request_.width || !input.isContinuous()) {
    return Status::InvalidArgument(
        "model input must be a continuous N x " + std::to_string(request_.channels) + " x " +
        std::to_string(request_.height) + " x " + std::to_string(request_.width) + " float blob");
  }
  const auto t0 = std::chrono::steady_clock::now();
  RETURN_IF_ERROR(DoRun(input, outputs));
  stats_.ms +=
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  stats_.calls += 1;
  stats_.items += input.size[0];
  return Status::Ok();
}

Result<LoadedModel> LoadModel(const ModelRequest& request, Backend backend) {
  LoadedModel loaded;
  loaded.requested = backend;
  if (backend == Backend::kFast) {
    auto fast = LoadFastModel(request);
    if (fast.ok()) {
      loaded.model = std::move(fast).value();
      return loaded;
    }
    loaded.fallback_reason = fast.status().message();
  }
  ASSIGN_OR_RETURN(loaded.model, LoadOpenCvModel(request));
  return loaded;
}

}  // namespace likeness::vision::inference
