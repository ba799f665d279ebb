// The vision inference layer: one pinned ONNX model loaded for one backend, run on a batch.
//
//   Backend::kOpenCv  OpenCV 4.6 DNN (cv::dnn::readNetFromONNX): the fallback and the parity
//                     reference, what Likeness ran before this layer existed.
//   Backend::kFast    oneDNN 2.6 (Debian libdnnl), fp32: convolutions with bias and PReLU/ReLU
//                     fused, depthwise kernels, NHWC activations, batch N in one pass
//                     (see fast_model.h for the operators it supports).
//
// A model the fast backend cannot run (an operator it does not implement, or a shape it does not
// support) is loaded with OpenCV instead: LoadModel says so in LoadedModel::fallback_reason, and
// `likeness stats` / `bench speed` report it per model.
//
// Thread safety: a Model is stateful (scratch buffers, the OpenCV net); one per thread, as with
// FaceAnalyzer.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <opencv2/core.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "likeness/status.h"

namespace likeness::vision::inference {

enum class Backend { kOpenCv, kFast };

// "opencv" / "fast".
std::string_view BackendName(Backend b);

// Arithmetic of the fast backend's dense convolutions (FaceAnalyzer uses kBf16 for the embedder
// only). kBf16 changes results (an embedding moves
// by a cosine of ~0.9997): FaceAnalyzer marks its embedder model id "+bf16", and a catalog is
// searched with probes of its own precision.
enum class Precision { kFp32, kBf16 };
// "fp32" / "bf16".
std::string_view PrecisionName(Precision p);
// Accepts "fp32" and "bf16"; InvalidArgument otherwise.
Result<Precision> ParsePrecision(std::string_view name);
// Whether this CPU runs bf16 convolutions natively (AVX-512 BF16, as oneDNN sees it).
bool NativeBf16();
// Accepts "opencv" and "fast"; InvalidArgument otherwise.
Result<Backend> ParseBackend(std::string_view name);

// Accumulated since load: forward passes, items (batch rows) and wall time inside Run.
struct ModelStats {
  int64_t calls = 0;
  int64_t items = 0;
  double ms = 0;
};

struct ModelRequest {
  std::filesystem::path path;        // the verified (sha256-pinned) ONNX file
  std::vector<std::string> outputs;  // outputs Run returns, in this order; empty = the graph's
  int channels = 3, height = 0, width = 0;  // the input an item has (NCHW without N)
  // Fast backend only: dense convolutions in bfloat16 (8-bit mantissa inputs, fp32 accumulation
  // and activations) on CPUs with AVX-512 BF16. Results differ from fp32: a catalog's embeddings
  // and its probes must use the same precision (see EmbedderModelId).
  bool bf16 = false;
};

class Model {
 public:
  virtual ~Model() = default;

  // input: a 4-D CV_32F blob N x C x H x W (N >= 1, C/H/W as requested at load). Fills `outputs`
  // with one blob per requested output (first dimension N, values in ONNX's NCHW order).
  // InvalidArgument for a wrongly shaped input, Internal when the backend fails.
  Status Run(const cv::Mat& input, std::vector<cv::Mat>& outputs);

  // Floating-point operations of one item's forward pass (multiply and add counted apart).
  double flops_per_item() const { return flops_per_item_; }
  const ModelStats& stats() const { return stats_; }
  // "opencv" or "fast".
  virtual std::string_view backend() const = 0;

 protected:
  virtual Status DoRun(const cv::Mat& input, std::vector<cv::Mat>& outputs) = 0;
  ModelRequest request_;
  double flops_per_item_ = 0;

 private:
  ModelStats stats_;
};

// OpenCV DNN. Internal when OpenCV cannot import the file.
Result<std::unique_ptr<Model>> LoadOpenCvModel(const ModelRequest& request);
// oneDNN. Unsupported when the graph uses something the backend does not implement (the message
// names it); Internal when oneDNN fails.
Result<std::unique_ptr<Model>> LoadFastModel(const ModelRequest& request);

// FLOPs of one item's forward pass, counted from the ONNX graph the way the fast backend compiles
// it (2 per multiply-add of Conv and Gemm; depthwise counted per group). Both backends report this
// figure, so GFLOP/s compare. Unsupported when the graph has an operator the counter lacks.
Result<double> CountFlopsPerItem(const ModelRequest& request);

struct LoadedModel {
  std::unique_ptr<Model> model;
  Backend requested = Backend::kFast;
  std::string fallback_reason;  // non-empty when kFast was asked for and OpenCV runs instead
};

// The requested backend, falling back to OpenCV (with the reason) when kFast does not load.
Result<LoadedModel> LoadModel(const ModelRequest& request, Backend backend);

// The process-wide backend FaceAnalyzer::Create uses (set once by the CLI's --backend; the
// default is kFast, which falls back per model).
void SetDefaultBackend(Backend b);
Backend DefaultBackend();
// The process-wide precision (the CLI's --precision; default kFp32). An engine opened on a catalog
// made in another precision adopts the catalog's (Engine::Open).
void SetDefaultPrecision(Precision p);
Precision DefaultPrecision();

}  // namespace likeness::vision::inference
