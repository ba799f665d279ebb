#include "vision/face_analyzer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

namespace likeness::vision {
namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

void L2Normalize(Embedding& v) {
  double sum = 0;
  for (float x : v) sum += static_cast<double>(x) * x;
  const float inv = sum > 0 ? static_cast<float>(1.0 / std::sqrt(sum)) : 0.0f;
  for (float& x : v) x *= inv;
}

}  // namespace

struct FaceAnalyzer::Nets {
  VerifiedModels models;
  inference::LoadedModel detector, landmarks, embedder;
  inference::Precision precision = inference::Precision::kFp32;
};

FaceAnalyzer::FaceAnalyzer(std::unique_ptr<Nets> nets) : nets_(std::move(nets)) {}
FaceAnalyzer::~FaceAnalyzer() = default;

const ModelManifest& FaceAnalyzer::manifest() const { return nets_->models.manifest; }
std::string FaceAnalyzer::embedder_model_id() const {
  return manifest().EmbedderModelId() +
         (nets_->precision == inference::Precision::kBf16 ? "+bf16" : "");
}
inference::Precision FaceAnalyzer::precision() const { return nets_->precision; }

Result<std::unique_ptr<FaceAnalyzer>> FaceAnalyzer::Create(const VerifiedModels& models,
                                                           inference::Backend backend,
                                                           inference::Precision precision) {
  const bool bf16 = precision == inference::Precision::kBf16;
  if (bf16 && backend != inference::Backend::kFast) {
    return Status::InvalidArgument("--precision bf16 needs --backend fast");
  }
  auto nets = std::make_unique<Nets>();
  nets->precision = precision;
  nets->models = models;
  const auto& m = models.manifest;
  inference::ModelRequest detector{models.Path(m.detector.file),
                                   {"scores", "boxes"},
                                   3,
                                   m.detector.input_height,
                                   m.detector.input_width};
  inference::ModelRequest landmarks{
      models.Path(m.landmarks.file), {}, 1, m.landmarks.input_size, m.landmarks.input_size};
  inference::ModelRequest embedder{
      models.Path(m.embedder.file), {}, 3, m.embedder.input_size, m.embedder.input_size};
  // bf16 for the embedder only: it takes 60 % of the FLOPs and gains 1.6x, while a bf16 detector
  // gains 1.26x but moves boxes (up to 10 px on the demo photos) and finds a face fp32 does not
  // (bench/README.md): detection stays fp32, so both precisions see the same faces.
  embedder.bf16 = bf16;
  ASSIGN_OR_RETURN(nets->detector, inference::LoadModel(detector, backend));
  ASSIGN_OR_RETURN(nets->landmarks, inference::LoadModel(landmarks, backend));
  ASSIGN_OR_RETURN(nets->embedder, inference::LoadModel(embedder, backend));
  if (bf16 && nets->embedder.model->backend() != "fast") {
    // OpenCV would make fp32 embeddings under a "+bf16" model id.
    return Status::FailedPrecondition(
        "the bf16 embedder needs the fast backend, which did not load (" +
        nets->embedder.fallback_reason + ")");
  }
  return std::unique_ptr<FaceAnalyzer>(new FaceAnalyzer(std::move(nets)));
}

std::vector<ModelRunInfo> FaceAnalyzer::inference_info() const {
  std::vector<ModelRunInfo> out;
  const std::pair<const char*, const inference::LoadedModel*> roles[] = {
      {"detector", &nets_->detector},
      {"landmarks", &nets_->landmarks},
      {"embedder", &nets_->embedder}};
  for (const auto& [role, loaded] : roles) {
    const bool bf16 = loaded == &nets_->embedder && nets_->precision == inference::Precision::kBf16;
    out.push_back({role, std::string(loaded->model->backend()), loaded->fallback_reason,
                   bf16 ? "bf16" : "fp32", loaded->model->flops_per_item() / 1e9,
                   loaded->model->stats()});
  }
  return out;
}

Result<std::vector<ScoredBox>> FaceAnalyzer::Detect(const cv::Mat& bgr,
                                                    const AnalyzeOptions& options) {
  if (bgr.empty() || bgr.type() != CV_8UC3) {
    return Status::InvalidArgument("detector needs a non-empty 8-bit BGR image");
  }
  const auto t0 = Clock::now();
  const DetectorSpec& spec = manifest().detector;
  const float threshold =
      options.score_threshold >= 0 ? options.score_threshold : spec.score_threshold;
  const std::vector<Tile> tiles =
      options.tiling ? PlanTiles(bgr.cols, bgr.rows, spec.input_width, spec.input_height,
                                 options.min_face_px, kMinNetFacePx)
                     : std::vector<Tile>{{0, 0, bgr.cols, bgr.rows}};
  std::vector<ScoredBox> candidates;
  int level = 0;
  for (size_t t = 0; t < tiles.size(); ++t) {
    const Tile& tile = tiles[t];
    ASSIGN_OR_RETURN(
        const std::vector<ScoredBox> found,
        DetectInWindow(bgr, cv::Rect(tile.x, tile.y, tile.width, tile.height), threshold));
    const bool is_whole_frame = t == 0;
    if (t > 0 && tile.width != tiles[t - 1].width) ++level;
    // Pyramid bands: a tile level answers only for faces too small for the next coarser level
    // (twice its tile size) to see, with a 25 % overlap between bands. Larger "faces" found in a
    // zoomed-in tile are textures seen out of context (shirts, hands) and are the main source of
    // false positives.
    const float tile_scale = static_cast<float>(tile.width) / spec.input_width;
    const float band_max_px = is_whole_frame ? std::numeric_limits<float>::max()
                                             : 2.0f * kMinNetFacePx * tile_scale * 1.25f;
    for (const ScoredBox& f : found) {
      const std::optional<BoxF> b = WholeInTile(f.box, tile, bgr.cols, bgr.rows);
      if (!b) continue;
      const float side = std::min(b->width(), b->height());
      if (side < static_cast<float>(options.min_face_px) || side > band_max_px) continue;
      candidates.push_back({*b, f.score, level});
    }
  }
  auto kept = NonMaxSuppression(std::move(candidates), spec.nms_iou);
  // Second opinion for faces only a small tile saw: look again at a window of kContextScale times
  // the box around it, where the face fills about a third of the detector input and its
  // surroundings show. Ears, hands and textures that fooled the zoomed-in tile rarely survive this.
  std::vector<ScoredBox> confirmed;
  for (const auto& k : kept) {
    if (k.level == 0) {
      confirmed.push_back(k);
      continue;
    }
    ASSIGN_OR_RETURN(const bool seen, SeenInContext(bgr, k.box, threshold));
    if (seen) confirmed.push_back(k);
  }
  if (options.small_faces && options.tiling && options.min_face_px > kSmallFacePx &&
      options.min_face_px <= kSmallFaceLevelMaxMinFacePx) {
    RETURN_IF_ERROR(AddSmallFaces(bgr, threshold, level + 1, options, confirmed));
  }
  times_.detect_ms += MsSince(t0);
  return confirmed;
}

Result<std::vector<ScoredBox>> FaceAnalyzer::DetectInWindow(const cv::Mat& bgr,
                                                            const cv::Rect& window,
                                                            float threshold) {
  const DetectorSpec& spec = manifest().detector;
  std::vector<ScoredBox> found;
  try {
    const cv::Mat blob = cv::dnn::blobFromImage(
        bgr(window), spec.scale, cv::Size(spec.input_width, spec.input_height),
        cv::Scalar(spec.mean, spec.mean, spec.mean), /*swapRB=*/true, /*crop=*/false);
    std::vector<cv::Mat> out;
    RETURN_IF_ERROR(nets_->detector.model->Run(blob, out));
    const cv::Mat scores = out[0].reshape(1, static_cast<int>(out[0].total() / 2));
    const cv::Mat boxes = out[1].reshape(1, static_cast<int>(out[1].total() / 4));
    for (int i = 0; i < scores.rows; ++i) {
      const float s = scores.at<float>(i, 1);
      if (s < threshold) continue;
      const BoxF b{window.x + boxes.at<float>(i, 0) * window.width,
                   window.y + boxes.at<float>(i, 1) * window.height,
                   window.x + boxes.at<float>(i, 2) * window.width,
                   window.y + boxes.at<float>(i, 3) * window.height};
      found.push_back({b, s, 0});
    }
  } catch (const cv::Exception& ex) {
    return Status::Internal(std::string("detector failed: ") + ex.what());
  }
  return found;
}

Result<bool> FaceAnalyzer::SeenInContext(const cv::Mat& bgr, const BoxF& box, float threshold) {
  constexpr float kContextScale = 3.0f;
  const float side = kContextScale * std::max(box.width(), box.height());
  const int x0 = std::max(0, static_cast<int>(box.cx() - side / 2));
  const int y0 = std::max(0, static_cast<int>(box.cy() - side * 0.75f / 2));
  const int x1 = std::min(bgr.cols, static_cast<int>(box.cx() + side / 2));
  const int y1 = std::min(bgr.rows, static_cast<int>(box.cy() + side * 0.75f / 2));
  if (x1 - x0 < 8 || y1 - y0 < 8) return false;
  ASSIGN_OR_RETURN(const std::vector<ScoredBox> found,
                   DetectInWindow(bgr, cv::Rect(x0, y0, x1 - x0, y1 - y0), threshold));
  for (const ScoredBox& f : found) {
    if (IoU(f.box, box) >= 0.4f) return true;
  }
  return false;
}

Result<std::array<Point2, 68>> FaceAnalyzer::Landmarks(const cv::Mat& bgr, const BoxF& box) {
  const auto t0 = Clock::now();
  const int size = manifest().landmarks.input_size;
  int x = std::max(0, static_cast<int>(box.x1));
  int y = std::max(0, static_cast<int>(box.y1));
  int w = std::max(2, std::min(static_cast<int>(box.width()), bgr.cols - x - 1));
  int h = std::max(2, std::min(static_cast<int>(box.height()), bgr.rows - y - 1));
  if (x + w > bgr.cols || y + h > bgr.rows) {
    return Status::InvalidArgument("face box lies outside the image");
  }
  std::array<Point2, 68> points{};
  try {
    cv::Mat resized, grey, input;
    cv::resize(bgr(cv::Rect(x, y, w, h)), resized, cv::Size(size, size));
    cv::cvtColor(resized, grey, cv::COLOR_BGR2GRAY);
    grey.convertTo(input, CV_32F, manifest().landmarks.scale);
    const int shape[] = {1, 1, size, size};
    std::vector<cv::Mat> outs;
    RETURN_IF_ERROR(nets_->landmarks.model->Run(cv::Mat(4, shape, CV_32F, input.data), outs));
    const cv::Mat& out = outs.at(0);
    const float* p = out.ptr<float>();
    if (out.total() < 136) return Status::Internal("landmark model returned too few values");
    for (int i = 0; i < 68; ++i) {
      points[i] = {p[2 * i] * w + x, p[2 * i + 1] * h + y};
    }
  } catch (const cv::Exception& ex) {
    return Status::Internal(std::string("landmark model failed: ") + ex.what());
  }
  times_.landmarks_ms += MsSince(t0);
  return points;
}

FivePoints FivePointsFrom68(const std::array<Point2, 68>& p) {
  auto mean = [&](int from, int to) {
    Point2 m{0, 0};
    for (int i = from; i <= to; ++i) m.x += p[i].x, m.y += p[i].y;
    const float n = static_cast<float>(to - from + 1);
    return Point2{m.x / n, m.y / n};
  };
  return {mean(36, 41), mean(42, 47), p[30], p[48], p[54]};
}

cv::Mat FaceAnalyzer::Align(const cv::Mat& bgr, const FivePoints& points) const {
  const auto& tmpl = manifest().template_112;
  const auto m = EstimateSimilarity(points, tmpl);
  const cv::Mat affine = (cv::Mat_<double>(2, 3) << m[0], m[1], m[2], m[3], m[4], m[5]);
  const int size = manifest().embedder.input_size;
  cv::Mat aligned;
  cv::warpAffine(bgr, aligned, affine, cv::Size(size, size), cv::INTER_LINEAR, cv::BORDER_CONSTANT);
  return aligned;
}

Result<std::vector<Embedding>> FaceAnalyzer::Embed(const std::vector<cv::Mat>& aligned,
                                                   bool flip_augment) {
  std::vector<Embedding> result;
  if (aligned.empty()) return result;
  const auto t0 = Clock::now();
  const EmbedderSpec& spec = manifest().embedder;
  try {
    std::vector<cv::Mat> inputs = aligned;
    if (flip_augment) {
      for (const auto& a : aligned) {
        cv::Mat flipped;
        cv::flip(a, flipped, 1);
        inputs.push_back(flipped);
      }
    }
    const cv::Mat blob =
        cv::dnn::blobFromImages(inputs, spec.scale, cv::Size(spec.input_size, spec.input_size),
                                cv::Scalar(spec.mean, spec.mean, spec.mean), true);
    std::vector<cv::Mat> outs;
    RETURN_IF_ERROR(nets_->embedder.model->Run(blob, outs));
    const cv::Mat& out = outs.at(0);
    const int dim = static_cast<int>(out.total() / inputs.size());
    if (dim != spec.dim) {
      return Status::Internal("embedder returned " + std::to_string(dim) + " values per face");
    }
    const float* p = out.ptr<float>();
    for (size_t i = 0; i < aligned.size(); ++i) {
      Embedding e(p + i * dim, p + (i + 1) * dim);
      L2Normalize(e);
      if (flip_augment) {
        Embedding f(p + (aligned.size() + i) * dim, p + (aligned.size() + i + 1) * dim);
        L2Normalize(f);
        for (int d = 0; d < dim; ++d) e[d] += f[d];
        L2Normalize(e);
      }
      result.push_back(std::move(e));
    }
  } catch (const cv::Exception& ex) {
    return Status::Internal(std::string("embedding model failed: ") + ex.what());
  }
  times_.embed_ms += MsSince(t0);
  return result;
}

Result<AlignedFaces> FaceAnalyzer::DetectAndAlign(const cv::Mat& bgr,
                                                  const AnalyzeOptions& options) {
  ASSIGN_OR_RETURN(std::vector<ScoredBox> boxes, Detect(bgr, options));
  AlignedFaces out;
  for (const auto& sb : boxes) {
    AnalyzedFace face;
    face.box = sb.box;
    face.detector_score = sb.score;
    ASSIGN_OR_RETURN(face.landmarks, Landmarks(bgr, sb.box));
    face.points = FivePointsFrom68(face.landmarks);
    const auto t0 = Clock::now();
    cv::Mat aligned = Align(bgr, face.points);
    face.quality = AssessQuality(face.box, face.detector_score, face.points, aligned);
    times_.align_ms += MsSince(t0);
    out.aligned.push_back(std::move(aligned));
    out.faces.push_back(std::move(face));
  }
  // Largest first; the crops follow their faces.
  std::vector<size_t> order(out.faces.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return out.faces[a].box.area() > out.faces[b].box.area();
  });
  AlignedFaces sorted;
  for (size_t i : order) {
    sorted.faces.push_back(std::move(out.faces[i]));
    sorted.aligned.push_back(std::move(out.aligned[i]));
  }
  times_.images += 1;
  times_.faces += static_cast<int64_t>(sorted.faces.size());
  return sorted;
}

Status FaceAnalyzer::EmbedFaces(std::span<AlignedFaces* const> images,
                                const AnalyzeOptions& options) {
  // (image, face) of every crop, in order; passes of at most `batch` of them.
  std::vector<std::pair<AlignedFaces*, size_t>> all;
  for (AlignedFaces* image : images) {
    if (image->aligned.size() != image->faces.size()) {
      return Status::InvalidArgument("EmbedFaces: one aligned crop per face is needed");
    }
    for (size_t i = 0; i < image->faces.size(); ++i) all.emplace_back(image, i);
  }
  const size_t batch = options.embed_batch > 0 ? static_cast<size_t>(options.embed_batch)
                                               : std::max<size_t>(1, all.size());
  std::vector<cv::Mat> crops;
  for (size_t from = 0; from < all.size(); from += batch) {
    const size_t to = std::min(all.size(), from + batch);
    crops.clear();
    for (size_t k = from; k < to; ++k) crops.push_back(all[k].first->aligned[all[k].second]);
    ASSIGN_OR_RETURN(std::vector<Embedding> embeddings, Embed(crops, options.flip_augment));
    for (size_t k = from; k < to; ++k) {
      all[k].first->faces[all[k].second].embedding = std::move(embeddings[k - from]);
    }
  }
  return Status::Ok();
}

Result<std::vector<AnalyzedFace>> FaceAnalyzer::Analyze(const cv::Mat& bgr,
                                                        const AnalyzeOptions& options) {
  ASSIGN_OR_RETURN(AlignedFaces image, DetectAndAlign(bgr, options));
  if (options.embed && !image.faces.empty()) {
    AlignedFaces* one[] = {&image};
    RETURN_IF_ERROR(EmbedFaces(one, options));
  }
  return std::move(image.faces);
}

}  // namespace likeness::vision
