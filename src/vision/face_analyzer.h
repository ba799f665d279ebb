// Detect -> 68 landmarks -> 5 points -> similarity alignment (112x112) -> quality -> 512-d
// embedding.
//
// Thread safety: a FaceAnalyzer owns its cv::dnn::Net objects, which are stateful; use one analyzer
// per worker thread (Create is cheap after the first model verification).
#pragma once

#include <array>
#include <memory>
#include <opencv2/core.hpp>
#include <span>
#include <vector>

#include "likeness/status.h"
#include "likeness/types.h"
#include "vision/geometry.h"
#include "vision/inference/model.h"
#include "vision/model_manifest.h"

namespace likeness::vision {

struct AnalyzeOptions {
  // Faces whose shorter box side is below this (in original-image pixels) are ignored, except
  // those the small-face level finds (see small_faces). Also drives tiling: large photos are
  // scanned in tiles small enough that such a face is still visible to the detector.
  int min_face_px = 24;
  // Detector score threshold (column-1 softmax). The manifest's value is the default when < 0.
  float score_threshold = -1.0f;
  // Run the detector on tiles of large images (see PlanTiles). Off = whole frame only.
  bool tiling = true;
  // Also embed the mirrored crop and average (test-time augmentation; doubles embedding cost).
  bool flip_augment = false;
  // Compute embeddings (off for `faces` without search).
  bool embed = true;
  // Most faces per embedding forward pass (an N x 3 x 112 x 112 blob); 0 = all faces of the image
  // in one pass. Results do not depend on it (within float rounding, < 1e-5 cosine); only speed
  // does (OpenCV 4.6 on one thread gains nothing past a few faces per pass, see bench/README.md).
  int embed_batch = 0;
  // Issue 13: the small-face level. After the pyramid, look for faces of kSmallFacePx (16) up to
  // 1.25 x min_face_px (overlapping the pyramid's finest band; where both see a face the pyramid's
  // box stays), but only in tiles around the faces already found (no larger than
  // kSmallFaceAnchorMaxPx): crowds put small faces beside larger ones, and the rest of the frame is
  // not scanned at that scale (cost and false positives). Its faces get the same context check as
  // every tile-only face. Runs only with tiling and kSmallFacePx < min_face_px <=
  // kSmallFaceLevelMaxMinFacePx (asking for larger faces only turns it off); CLI
  // `--small-faces on|off`.
  bool small_faces = true;
};

// The smallest face (in detector-input pixels) the RFB-320 detector finds reliably.
inline constexpr int kMinNetFacePx = 20;

// The small-face level's smallest face, its largest anchor, how far around an anchor it looks (in
// multiples of the anchor's size) and the most detector windows it runs per image.
inline constexpr int kSmallFacePx = 16;
inline constexpr int kSmallFaceAnchorMaxPx = 96;
inline constexpr float kSmallFaceReach = 3.0f;
inline constexpr int kSmallFaceMaxTiles = 32;
// The largest min_face_px with which the small-face level runs (the default min_face_px).
inline constexpr int kSmallFaceLevelMaxMinFacePx = 24;

struct AnalyzedFace {
  BoxF box;  // in the analysed image's pixels
  float detector_score = 0;
  std::array<Point2, 68> landmarks{};
  FivePoints points{};
  FaceQuality quality;
  Embedding embedding;  // empty when AnalyzeOptions::embed is false
};

// An image's faces up to (not including) the embedding: what DetectAndAlign returns, ready for
// EmbedFaces, possibly together with other images' faces.
struct AlignedFaces {
  std::vector<AnalyzedFace> faces;  // largest first, embeddings empty
  std::vector<cv::Mat> aligned;     // the 112x112 BGR crop of faces[i], same order
};

// Milliseconds spent per stage since creation (for benchmarks and `bench pairs`).
struct StageTimes {
  double detect_ms = 0, landmarks_ms = 0, align_ms = 0, embed_ms = 0;
  int64_t images = 0, faces = 0;
  // Detector windows run by the small-face level (AnalyzeOptions::small_faces), its faces kept.
  int64_t small_face_tiles = 0, small_faces = 0;
};

// Which backend runs one of the analyzer's models, and what it has cost so far.
struct ModelRunInfo {
  std::string role;             // "detector", "landmarks", "embedder"
  std::string backend;          // "fast" or "opencv"
  std::string fallback_reason;  // why "fast" was asked for and OpenCV runs (empty otherwise)
  std::string precision;        // "fp32" or "bf16"
  double gflop_per_item = 0;
  inference::ModelStats stats;
};

class FaceAnalyzer {
 public:
  // Loads the detector, landmark and embedding models with `backend` (each model that the fast
  // backend does not support falls back to OpenCV DNN, see inference/model.h). `precision` bf16
  // runs the embedder's dense convolutions in bf16 (detection and landmarks stay fp32)
  // (InvalidArgument with the opencv backend; FailedPrecondition when the embedder cannot load on
  // the fast backend).
  static Result<std::unique_ptr<FaceAnalyzer>> Create(
      const VerifiedModels& models, inference::Backend backend = inference::DefaultBackend(),
      inference::Precision precision = inference::DefaultPrecision());
  ~FaceAnalyzer();
  FaceAnalyzer(const FaceAnalyzer&) = delete;
  FaceAnalyzer& operator=(const FaceAnalyzer&) = delete;

  // bgr: CV_8UC3. Faces are returned largest first. Errors: InvalidArgument for an empty image,
  // Internal if a model fails to run.
  Result<std::vector<AnalyzedFace>> Analyze(const cv::Mat& bgr, const AnalyzeOptions& options = {});

  // Analyze without the embedding stage: detect, landmarks, align, quality. Same errors as
  // Analyze. Analyze(bgr, o) equals DetectAndAlign then EmbedFaces on that one image.
  Result<AlignedFaces> DetectAndAlign(const cv::Mat& bgr, const AnalyzeOptions& options = {});

  // Fills in the embeddings of every face of every image given, in forward passes of at most
  // options.embed_batch faces (0 = all in one pass) taken across image boundaries; honours
  // options.flip_augment. On error (Internal) the embeddings already written may be partial and
  // must not be used.
  Status EmbedFaces(std::span<AlignedFaces* const> images, const AnalyzeOptions& options);

  // The individual stages, exposed for tests and tools.
  Result<std::vector<ScoredBox>> Detect(const cv::Mat& bgr, const AnalyzeOptions& options);
  Result<std::array<Point2, 68>> Landmarks(const cv::Mat& bgr, const BoxF& box);
  cv::Mat Align(const cv::Mat& bgr, const FivePoints& points) const;
  // One forward pass over all crops (plus their mirrors when flip_augment). Internal on failure.
  Result<std::vector<Embedding>> Embed(const std::vector<cv::Mat>& aligned, bool flip_augment);

  const StageTimes& times() const { return times_; }
  // Detector, landmarks, embedder: backend in use, FLOPs per item and time spent.
  std::vector<ModelRunInfo> inference_info() const;
  const ModelManifest& manifest() const;
  // The manifest's embedder id, with "+bf16" when the embedder runs in bf16.
  std::string embedder_model_id() const;
  inference::Precision precision() const;

 private:
  struct Nets;
  explicit FaceAnalyzer(std::unique_ptr<Nets> nets);
  // The detector on one window of bgr (resized to its input): boxes in bgr's pixels (not clamped)
  // scoring at least threshold, with level 0. Internal on failure.
  Result<std::vector<ScoredBox>> DetectInWindow(const cv::Mat& bgr, const cv::Rect& window,
                                                float threshold);
  // The second opinion for a face only a tile saw: whether the detector finds it again (IoU >= 0.4)
  // in a window three times its size around it.
  Result<bool> SeenInContext(const cv::Mat& bgr, const BoxF& box, float threshold);
  // The small-face level (small_faces.cc): appends to `faces` (the confirmed faces of the pyramid)
  // the confirmed 16..1.25 x min_face_px faces found in tiles around them, tagged with `level`.
  Status AddSmallFaces(const cv::Mat& bgr, float threshold, int level,
                       const AnalyzeOptions& options, std::vector<ScoredBox>& faces);
  std::unique_ptr<Nets> nets_;
  StageTimes times_;
};

// Left eye centre (mean of 36..41), right eye centre (42..47), nose tip (30), mouth corners (48,
// 54).
FivePoints FivePointsFrom68(const std::array<Point2, 68>& p);

// Size, sharpness (Laplacian variance of the aligned grey crop), pose from landmarks, detector
// score, and an overall 0..1 score.
FaceQuality AssessQuality(const BoxF& box, float detector_score, const FivePoints& points,
                          const cv::Mat& aligned_bgr);

// Quality below this (FaceQuality::overall) is stored but not searched by default.
inline constexpr float kDefaultSearchableQualityFloor = 0.25f;

}  // namespace likeness::vision
