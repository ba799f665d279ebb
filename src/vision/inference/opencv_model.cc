// Backend::kOpenCv: the ONNX file through OpenCV 4.6 DNN, exactly as Likeness ran it before the
// inference layer (DNN_BACKEND_OPENCV on the CPU; the process sets cv::setNumThreads).
#include <opencv2/dnn.hpp>

#include "vision/inference/model.h"

namespace likeness::vision::inference {
namespace {

class OpenCvModel final : public Model {
 public:
  OpenCvModel(const ModelRequest& request, cv::dnn::Net net) : net_(std::move(net)) {
    request_ = request;
    for (const auto& o : request.outputs) names_.emplace_back(o);
    // OpenCV's own getFLOPS ignores conv groups (8.6x too high for the depthwise embedder), so the
    // graph count both backends share; OpenCV's only for a graph the counter cannot read.
    auto counted = CountFlopsPerItem(request);
    const std::vector<int> shape = {1, request.channels, request.height, request.width};
    flops_per_item_ = counted.ok() ? *counted : static_cast<double>(net_.getFLOPS(shape));
  }
  std::string_view backend() const override { return "opencv"; }

 protected:
  Status DoRun(const cv::Mat& input, std::vector<cv::Mat>& outputs) override {
    try {
      net_.setInput(input);
      outputs.clear();
      if (names_.empty()) {
        outputs.push_back(net_.forward().clone());
      } else {
        std::vector<cv::Mat> out;
        net_.forward(out, names_);
        for (auto& m : out) outputs.push_back(m.clone());
      }
    } catch (const cv::Exception& ex) {
      return Status::Internal(request_.path.filename().string() + " failed: " + ex.what());
    }
    return Status::Ok();
  }

 private:
  cv::dnn::Net net_;
  std::vector<cv::String> names_;
};

}  // namespace

Result<std::unique_ptr<Model>> LoadOpenCvModel(const ModelRequest& request) {
  try {
    cv::dnn::Net net = cv::dnn::readNetFromONNX(request.path.string());
    if (net.empty()) return Status::Internal("OpenCV DNN could not load " + request.path.string());
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    return std::unique_ptr<Model>(new OpenCvModel(request, std::move(net)));
  } catch (const cv::Exception& ex) {
    return Status::Internal("loading " + request.path.filename().string() + ": " + ex.what());
  }
}

}  // namespace likeness::vision::inference
