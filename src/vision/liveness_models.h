// The three auxiliary models the public self-check uses to tell a live person from a replay: head
// pose (fr_pose), eye state (fr_eye) and passive liveness (fr_liveness). Their preprocessing was
// found by experiment on real photos (see docs/PRIVACY.md, "Self-check thresholds"); the facts
// live in the manifest (models/manifest.json) and are parsed into the specs below.
//
// Thread safety: a LivenessModels owns stateful cv::dnn::Net objects; use one per worker thread,
// like FaceAnalyzer.
#pragma once

#include <array>
#include <memory>
#include <opencv2/core.hpp>
#include <string>

#include "likeness/status.h"
#include "likeness/types.h"
#include "vision/model_manifest.h"

namespace likeness::vision {

struct PoseSpec {
  std::string file = "fr_pose.onnx";
  int input_size = 224;
  float crop_margin = 0.25f;  // the box grows by this fraction of its size on each side
  std::array<float, 3> mean_rgb{0.485f, 0.456f, 0.406f};
  std::array<float, 3> std_rgb{0.229f, 0.224f, 0.225f};
  std::array<std::string, 3> outputs{"output", "617", "618"};  // yaw, pitch, roll
  int bins = 66;
  float bin_deg = 3.0f;
  float offset_deg = -99.0f;
};

struct EyeSpec {
  std::string file = "fr_eye.onnx";
  int input_size = 24;
  float padding = 1.6f;  // crop side = eye width (outer to inner corner) * padding
  float scale = 1.0f / 255.0f;
  int open_index = 1;
};

struct PassiveLivenessSpec {
  std::string file = "fr_liveness.onnx";
  int input_size = 128;
  float crop_scale = 2.7f;  // the box is scaled by this about its centre, kept inside the image
  bool swap_rb = false;     // false: BGR input
  int live_index = 0;
};

struct LivenessModelSpecs {
  PoseSpec pose;
  EyeSpec eye;
  PassiveLivenessSpec liveness;
};

// Reads models.pose / models.eye / models.liveness from a manifest document; absent fields keep
// the defaults above. InvalidArgument on malformed JSON or values out of range.
Result<LivenessModelSpecs> ParseLivenessSpecs(const std::string& manifest_json);
// The specs from the manifest compiled into this binary.
Result<LivenessModelSpecs> BuiltinLivenessSpecs();

struct HeadPose {
  float yaw_deg = 0, pitch_deg = 0, roll_deg = 0;  // yaw > 0: the subject turns to their left
};

struct EyeState {
  float left_open = 0, right_open = 0;  // probabilities of "open" for each eye (image left/right)
  float Open() const { return (left_open + right_open) / 2; }
};

class LivenessModels {
 public:
  // `models` must have been verified (LoadVerifiedModels) with the pose, eye and liveness files.
  static Result<std::unique_ptr<LivenessModels>> Create(const VerifiedModels& models);
  // As Create, with explicit specs (tests and experiments on preprocessing).
  static Result<std::unique_ptr<LivenessModels>> Create(const VerifiedModels& models,
                                                        const LivenessModelSpecs& specs);
  ~LivenessModels();
  LivenessModels(const LivenessModels&) = delete;
  LivenessModels& operator=(const LivenessModels&) = delete;

  // bgr: CV_8UC3; box: a face box in bgr's pixels (from FaceAnalyzer). Errors: InvalidArgument
  // for an empty image or a box outside it; Internal if a model fails to run.
  Result<HeadPose> Pose(const cv::Mat& bgr, const BoxF& box);
  // Probability that the face is live (a person in front of the camera, not a print or screen).
  Result<float> PassiveLiveness(const cv::Mat& bgr, const BoxF& box);
  // landmarks: the 68 iBUG points of the face (FaceAnalyzer::Landmarks).
  Result<EyeState> Eyes(const cv::Mat& bgr, const std::array<Point2, 68>& landmarks);
  // One eye crop (CV_8UC1, any size; resized to the model input). Exposed for tests.
  Result<float> EyeOpenProbability(const cv::Mat& grey_eye);

  const LivenessModelSpecs& specs() const;

 private:
  struct Nets;
  explicit LivenessModels(std::unique_ptr<Nets> nets);
  std::unique_ptr<Nets> nets_;
};

}  // namespace likeness::vision
