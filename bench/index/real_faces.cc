#include "real_faces.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <opencv2/imgcodecs.hpp>
#include <string>

#include "synthetic_faces.h"
#include "vision/face_analyzer.h"
#include "vision/model_manifest.h"

namespace likeness::bench {
namespace {

constexpr uint64_t kCopyStream = 0x7265616c636f7079ULL;  // "realcopy"

int32_t Root(std::vector<int32_t>& parent, int32_t i) {
  while (parent[static_cast<size_t>(i)] != i) i = parent[static_cast<size_t>(i)];
  return i;
}

}  // namespace

Result<RealFaces> EmbedDemoFaces(const std::filesystem::path& demo_dir,
                                 const std::filesystem::path& model_dir) {
  std::vector<std::filesystem::path> photos;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(demo_dir, ec)) {
    const std::string ext = entry.path().extension().string();
    if (ext == ".jpg" || ext == ".png") photos.push_back(entry.path());
  }
  if (photos.empty()) return Status::NotFound("no demo photos in " + demo_dir.string());
  std::sort(photos.begin(), photos.end());
  ASSIGN_OR_RETURN(const vision::ModelManifest manifest, vision::BuiltinManifest());
  ASSIGN_OR_RETURN(const vision::VerifiedModels models,
                   vision::LoadVerifiedModels(manifest, model_dir));
  ASSIGN_OR_RETURN(std::unique_ptr<vision::FaceAnalyzer> analyzer,
                   vision::FaceAnalyzer::Create(models));
  RealFaces real;
  for (const auto& photo : photos) {
    const cv::Mat bgr = cv::imread(photo.string(), cv::IMREAD_COLOR);
    if (bgr.empty()) return Status::InvalidArgument("cannot decode " + photo.string());
    ASSIGN_OR_RETURN(const std::vector<vision::AnalyzedFace> faces, analyzer->Analyze(bgr));
    for (size_t i = 0; i < faces.size(); ++i) {
      const Embedding& e = faces[i].embedding;
      if (real.dim == 0) real.dim = static_cast<int>(e.size());
      if (static_cast<int>(e.size()) != real.dim || real.dim == 0) {
        return Status::Internal("embedding of unexpected size " + std::to_string(e.size()));
      }
      real.faces.insert(real.faces.end(), e.begin(), e.end());
      NormalizeInPlace(real.faces.data() + real.faces.size() - e.size(), real.dim);
      real.source.push_back(photo.filename().string() + "#" + std::to_string(i));
    }
  }
  const auto n = static_cast<int32_t>(real.source.size());
  if (n == 0) return Status::NotFound("no faces found in the photos of " + demo_dir.string());
  // One person per connected group of faces at cosine >= kSamePersonCosine.
  std::vector<int32_t> parent(static_cast<size_t>(n));
  std::iota(parent.begin(), parent.end(), 0);
  for (int32_t a = 0; a < n; ++a) {
    for (int32_t b = a + 1; b < n; ++b) {
      const float* fa = real.faces.data() + static_cast<size_t>(a) * real.dim;
      const float* fb = real.faces.data() + static_cast<size_t>(b) * real.dim;
      float dot = 0;
      for (int d = 0; d < real.dim; ++d) dot += fa[d] * fb[d];
      if (dot >= kSamePersonCosine) parent[static_cast<size_t>(Root(parent, b))] = Root(parent, a);
    }
  }
  std::vector<int32_t> label(static_cast<size_t>(n), -1);
  int32_t next = 0;
  for (int32_t i = 0; i < n; ++i) {
    int32_t& l = label[static_cast<size_t>(Root(parent, i))];
    if (l < 0) l = next++;
    real.identity.push_back(l);
  }
  return real;
}

void PerturbedCopies(const RealFaces& real, int64_t face, int copies, uint64_t seed,
                     uint64_t stream, float* out) {
  Rng rng(seed ^ kCopyStream ^ (static_cast<uint64_t>(face) * 0x9e3779b97f4a7c15ULL) ^
          (stream * 0xd1b54a32d192ed03ULL));
  const float* r = real.faces.data() + static_cast<size_t>(face) * real.dim;
  for (int c = 0; c < copies; ++c) {
    float* v = out + static_cast<size_t>(c) * real.dim;
    for (int d = 0; d < real.dim; ++d) v[d] = rng.Gaussian();
    NormalizeInPlace(v, real.dim);
    const float w = kMinQuality + (kMaxQuality - kMinQuality) * rng.Uniform();
    const float a = std::sqrt(w), b = std::sqrt(1.0f - w);
    for (int d = 0; d < real.dim; ++d) v[d] = a * r[d] + b * v[d];
    NormalizeInPlace(v, real.dim);
  }
}

}  // namespace likeness::bench
