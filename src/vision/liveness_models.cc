#include "vision/liveness_models.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

namespace likeness::vision {
namespace {

Result<cv::dnn::Net> LoadAuxNet(const VerifiedModels& models, const std::string& file) {
  if (!models.manifest.file_sha256.count(file)) {
    return Status::InvalidArgument("model file " + file + " is not pinned in the manifest");
  }
  try {
    cv::dnn::Net net = cv::dnn::readNetFromONNX(models.Path(file).string());
    if (net.empty()) return Status::Internal("OpenCV DNN could not load " + file);
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    return net;
  } catch (const cv::Exception& ex) {
    return Status::Internal("loading " + file + ": " + ex.what());
  }
}

// Softmax of n values in place.
void Softmax(std::vector<float>& v) {
  if (v.empty()) return;
  const float top = *std::max_element(v.begin(), v.end());
  double sum = 0;
  for (float& x : v) {
    x = std::exp(x - top);
    sum += x;
  }
  for (float& x : v) x = static_cast<float>(x / sum);
}

std::vector<float> Values(const cv::Mat& out) {
  const float* p = out.ptr<float>();
  return std::vector<float>(p, p + out.total());
}

cv::Rect ClampRect(int x0, int y0, int x1, int y1, const cv::Mat& img) {
  x0 = std::clamp(x0, 0, img.cols - 1);
  y0 = std::clamp(y0, 0, img.rows - 1);
  x1 = std::clamp(x1, x0 + 1, img.cols);
  y1 = std::clamp(y1, y0 + 1, img.rows);
  return cv::Rect(x0, y0, x1 - x0, y1 - y0);
}

Status CheckInput(const cv::Mat& bgr, const BoxF& box) {
  if (bgr.empty() || bgr.type() != CV_8UC3) {
    return Status::InvalidArgument("the liveness models need a non-empty 8-bit BGR image");
  }
  if (box.width() < 2 || box.height() < 2 || box.x2 <= 0 || box.y2 <= 0 || box.x1 >= bgr.cols ||
      box.y1 >= bgr.rows) {
    return Status::InvalidArgument("face box lies outside the image");
  }
  return Status::Ok();
}

template <typename T>
void Read(const nlohmann::json& obj, const char* key, T& value) {
  if (obj.contains(key)) value = obj.at(key).get<T>();
}

}  // namespace

extern const char* const kBuiltinManifestJson;  // generated from models/manifest.json

Result<LivenessModelSpecs> ParseLivenessSpecs(const std::string& manifest_json) {
  LivenessModelSpecs s;
  try {
    const auto doc = nlohmann::json::parse(manifest_json);
    const auto& models = doc.at("models");
    if (models.contains("pose")) {
      const auto& p = models.at("pose");
      Read(p, "file", s.pose.file);
      Read(p, "input_size", s.pose.input_size);
      Read(p, "crop_margin", s.pose.crop_margin);
      Read(p, "mean_rgb", s.pose.mean_rgb);
      Read(p, "std_rgb", s.pose.std_rgb);
      Read(p, "outputs", s.pose.outputs);
      Read(p, "bins", s.pose.bins);
      Read(p, "bin_deg", s.pose.bin_deg);
      Read(p, "offset_deg", s.pose.offset_deg);
    }
    if (models.contains("eye")) {
      const auto& e = models.at("eye");
      Read(e, "file", s.eye.file);
      Read(e, "input_size", s.eye.input_size);
      Read(e, "padding", s.eye.padding);
      Read(e, "scale", s.eye.scale);
      Read(e, "open_index", s.eye.open_index);
    }
    if (models.contains("liveness")) {
      const auto& l = models.at("liveness");
      Read(l, "file", s.liveness.file);
      Read(l, "input_size", s.liveness.input_size);
      Read(l, "crop_scale", s.liveness.crop_scale);
      Read(l, "swap_rb", s.liveness.swap_rb);
      Read(l, "live_index", s.liveness.live_index);
    }
  } catch (const nlohmann::json::exception& ex) {
    return Status::InvalidArgument(std::string("bad model manifest (liveness models): ") +
                                   ex.what());
  }
  const bool sizes_ok =
      s.pose.input_size > 0 && s.eye.input_size > 0 && s.liveness.input_size > 0 && s.pose.bins > 1;
  const bool indices_ok = s.eye.open_index >= 0 && s.eye.open_index < 2 &&
                          s.liveness.live_index >= 0 && s.liveness.live_index < 3;
  if (!sizes_ok || !indices_ok || s.liveness.crop_scale <= 0 || s.eye.padding <= 0) {
    return Status::InvalidArgument("model manifest: liveness model values out of range");
  }
  for (float sd : s.pose.std_rgb) {
    if (sd <= 0) return Status::InvalidArgument("model manifest: pose std_rgb must be positive");
  }
  return s;
}

Result<LivenessModelSpecs> BuiltinLivenessSpecs() {
  return ParseLivenessSpecs(kBuiltinManifestJson);
}

struct LivenessModels::Nets {
  LivenessModelSpecs specs;
  cv::dnn::Net pose, eye, liveness;
};

LivenessModels::LivenessModels(std::unique_ptr<Nets> nets) : nets_(std::move(nets)) {}
LivenessModels::~LivenessModels() = default;
const LivenessModelSpecs& LivenessModels::specs() const { return nets_->specs; }

Result<std::unique_ptr<LivenessModels>> LivenessModels::Create(const VerifiedModels& models) {
  ASSIGN_OR_RETURN(LivenessModelSpecs specs, BuiltinLivenessSpecs());
  return Create(models, specs);
}

Result<std::unique_ptr<LivenessModels>> LivenessModels::Create(const VerifiedModels& models,
                                                               const LivenessModelSpecs& specs) {
  auto nets = std::make_unique<Nets>();
  nets->specs = specs;
  ASSIGN_OR_RETURN(nets->pose, LoadAuxNet(models, nets->specs.pose.file));
  ASSIGN_OR_RETURN(nets->eye, LoadAuxNet(models, nets->specs.eye.file));
  ASSIGN_OR_RETURN(nets->liveness, LoadAuxNet(models, nets->specs.liveness.file));
  return std::unique_ptr<LivenessModels>(new LivenessModels(std::move(nets)));
}

Result<HeadPose> LivenessModels::Pose(const cv::Mat& bgr, const BoxF& box) {
  RETURN_IF_ERROR(CheckInput(bgr, box));
  const PoseSpec& spec = nets_->specs.pose;
  const float mx = box.width() * spec.crop_margin, my = box.height() * spec.crop_margin;
  const cv::Rect r = ClampRect(static_cast<int>(box.x1 - mx), static_cast<int>(box.y1 - my),
                               static_cast<int>(box.x2 + mx), static_cast<int>(box.y2 + my), bgr);
  try {
    cv::Mat rgb, f;
    cv::resize(bgr(r), rgb, cv::Size(spec.input_size, spec.input_size));
    cv::cvtColor(rgb, rgb, cv::COLOR_BGR2RGB);
    rgb.convertTo(f, CV_32FC3, 1.0 / 255.0);
    f -= cv::Scalar(spec.mean_rgb[0], spec.mean_rgb[1], spec.mean_rgb[2]);
    cv::divide(f, cv::Scalar(spec.std_rgb[0], spec.std_rgb[1], spec.std_rgb[2]), f);
    const cv::Mat blob = cv::dnn::blobFromImage(f);
    nets_->pose.setInput(blob);
    std::vector<cv::Mat> outs;
    const std::vector<cv::String> names(spec.outputs.begin(), spec.outputs.end());
    nets_->pose.forward(outs, names);
    if (outs.size() != 3) return Status::Internal("pose model returned other than 3 outputs");
    std::array<float, 3> deg{};
    for (size_t k = 0; k < 3; ++k) {
      std::vector<float> v = Values(outs[k]);
      if (static_cast<int>(v.size()) != spec.bins) {
        return Status::Internal("pose model returned " + std::to_string(v.size()) + " bins");
      }
      Softmax(v);
      double expectation = 0;
      for (size_t i = 0; i < v.size(); ++i) expectation += v[i] * static_cast<double>(i);
      deg[k] = static_cast<float>(expectation * spec.bin_deg + spec.offset_deg);
    }
    return HeadPose{deg[0], deg[1], deg[2]};
  } catch (const cv::Exception& ex) {
    return Status::Internal(std::string("pose model failed: ") + ex.what());
  }
}

Result<float> LivenessModels::PassiveLiveness(const cv::Mat& bgr, const BoxF& box) {
  RETURN_IF_ERROR(CheckInput(bgr, box));
  const PassiveLivenessSpec& spec = nets_->specs.liveness;
  const float src_w = static_cast<float>(bgr.cols), src_h = static_cast<float>(bgr.rows);
  const float scale =
      std::min({(src_h - 1) / box.height(), (src_w - 1) / box.width(), spec.crop_scale});
  const float w = box.width() * scale, h = box.height() * scale;
  float x0 = box.cx() - w / 2, y0 = box.cy() - h / 2, x1 = box.cx() + w / 2, y1 = box.cy() + h / 2;
  if (x0 < 0) x1 -= x0, x0 = 0;
  if (y0 < 0) y1 -= y0, y0 = 0;
  if (x1 > src_w - 1) x0 -= x1 - src_w + 1, x1 = src_w - 1;
  if (y1 > src_h - 1) y0 -= y1 - src_h + 1, y1 = src_h - 1;
  const cv::Rect r = ClampRect(static_cast<int>(x0), static_cast<int>(y0), static_cast<int>(x1),
                               static_cast<int>(y1), bgr);
  try {
    const cv::Mat blob = cv::dnn::blobFromImage(
        bgr(r), 1.0, cv::Size(spec.input_size, spec.input_size), cv::Scalar(), spec.swap_rb, false);
    nets_->liveness.setInput(blob);
    std::vector<float> v = Values(nets_->liveness.forward());
    if (v.size() != 3) return Status::Internal("liveness model returned other than 3 scores");
    Softmax(v);
    return v[spec.live_index];
  } catch (const cv::Exception& ex) {
    return Status::Internal(std::string("liveness model failed: ") + ex.what());
  }
}

Result<float> LivenessModels::EyeOpenProbability(const cv::Mat& grey_eye) {
  if (grey_eye.empty() || grey_eye.type() != CV_8UC1) {
    return Status::InvalidArgument("the eye model needs a non-empty 8-bit grey crop");
  }
  const EyeSpec& spec = nets_->specs.eye;
  try {
    const cv::Mat blob =
        cv::dnn::blobFromImage(grey_eye, spec.scale, cv::Size(spec.input_size, spec.input_size));
    nets_->eye.setInput(blob);
    std::vector<float> v = Values(nets_->eye.forward());
    if (v.size() != 2) return Status::Internal("eye model returned other than 2 scores");
    Softmax(v);
    return v[spec.open_index];
  } catch (const cv::Exception& ex) {
    return Status::Internal(std::string("eye model failed: ") + ex.what());
  }
}

Result<EyeState> LivenessModels::Eyes(const cv::Mat& bgr, const std::array<Point2, 68>& p) {
  if (bgr.empty() || bgr.type() != CV_8UC3) {
    return Status::InvalidArgument("the eye model needs a non-empty 8-bit BGR image");
  }
  const EyeSpec& spec = nets_->specs.eye;
  // Centre: mean of the two upper-lid and two lower-lid points; side: corner to corner * padding.
  const auto crop = [&](int corner_a, int upper1, int upper2, int corner_b, int lower1,
                        int lower2) -> Result<float> {
    const float cx = (p[upper1].x + p[upper2].x + p[lower1].x + p[lower2].x) / 4;
    const float cy = (p[upper1].y + p[upper2].y + p[lower1].y + p[lower2].y) / 4;
    const float side = std::fabs(p[corner_b].x - p[corner_a].x) * spec.padding;
    if (side < 2) return Status::InvalidArgument("eye too small to judge");
    const cv::Rect r =
        ClampRect(static_cast<int>(cx - side / 2), static_cast<int>(cy - side / 2),
                  static_cast<int>(cx + side / 2), static_cast<int>(cy + side / 2), bgr);
    cv::Mat grey;
    cv::cvtColor(bgr(r), grey, cv::COLOR_BGR2GRAY);
    return EyeOpenProbability(grey);
  };
  EyeState s;
  ASSIGN_OR_RETURN(s.left_open, crop(36, 37, 38, 39, 40, 41));
  ASSIGN_OR_RETURN(s.right_open, crop(42, 43, 44, 45, 46, 47));
  return s;
}

}  // namespace likeness::vision
