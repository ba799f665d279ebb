#include "openset/calibration.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <numeric>
#include <random>

#include "openset/clustering.h"

namespace likeness::openset {
namespace {

float Dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return static_cast<float>(s);
}

// The score that leaves at most `fpir` of `best` (descending) strictly above it... i.e. the
// threshold just above the floor(fpir * n)-th best.
double EmpiricalThreshold(const std::vector<float>& best_desc, double fpir) {
  const size_t allowed = static_cast<size_t>(std::floor(fpir * best_desc.size()));
  const size_t i = std::min(allowed, best_desc.size() - 1);
  return std::nextafter(best_desc[i], 2.0f);
}

// Hubness-corrected impostor scores of the sampled probes (same pairs as the cosine sample).
Result<ScoreCalibration> CalibrateHubness(const std::vector<GalleryFace>& gallery,
                                          const std::vector<int64_t>& probes, int k) {
  const int dim = static_cast<int>(gallery.front().embedding.size());
  NeighbourhoodStats stats(dim, k);
  for (const auto& g : gallery) RETURN_IF_ERROR(stats.Add(g.id, g.embedding));
  std::vector<float> means(gallery.size());
  for (size_t i = 0; i < gallery.size(); ++i) {
    ASSIGN_OR_RETURN(means[i], stats.Mean(gallery[i].id));
  }
  std::vector<float> scores;
  for (int64_t pi : probes) {
    const auto& p = gallery[static_cast<size_t>(pi)];
    const float probe_mean = stats.ProbeMean(p.embedding, p.id);
    for (size_t gi = 0; gi < gallery.size(); ++gi) {
      const auto& g = gallery[gi];
      if (g.id == p.id || g.image_id == p.image_id) continue;
      if (p.person != 0 && g.person == p.person) continue;
      scores.push_back(HubnessScore(Dot(p.embedding, g.embedding), means[gi], probe_mean));
    }
  }
  ScoreCalibration c;
  c.k = k;
  ASSIGN_OR_RETURN(c.model, FitImpostorModel(scores));
  const auto n = static_cast<int64_t>(gallery.size());
  c.threshold_fpir_1e2 = ThresholdForFpir(c.model, 1e-2, n);
  c.threshold_fpir_1e3 = ThresholdForFpir(c.model, 1e-3, n);
  return c;
}

}  // namespace

Result<Calibration> Calibrate(const std::vector<GalleryFace>& gallery,
                              const CalibrationOptions& options) {
  const int64_t n = static_cast<int64_t>(gallery.size());
  if (n < 2) return Status::InvalidArgument("calibration needs at least 2 faces in the catalog");
  const int64_t probes = std::clamp<int64_t>(kMaxCalibrationComparisons / n, 1,
                                             std::min(n, std::max<int64_t>(1, options.max_probes)));
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::mt19937 rng(options.seed);
  std::shuffle(order.begin(), order.end(), rng);
  order.resize(static_cast<size_t>(probes));

  std::vector<float> scores, best;
  int64_t excluded = 0;
  for (int64_t pi : order) {
    const auto& p = gallery[static_cast<size_t>(pi)];
    float top = -2;
    bool any = false;
    for (const auto& g : gallery) {
      if (g.id == p.id || g.image_id == p.image_id) continue;
      if (p.person != 0 && g.person == p.person) {
        ++excluded;
        continue;
      }
      const float s = Dot(p.embedding, g.embedding);
      scores.push_back(s);
      top = std::max(top, s);
      any = true;
    }
    if (any) best.push_back(top);
  }
  ASSIGN_OR_RETURN(auto model, FitImpostorModel(scores));
  Calibration c;
  c.gallery_size = n;
  c.probes = static_cast<int64_t>(best.size());
  c.excluded_same_person = excluded;
  c.model = std::move(model);
  c.threshold_fpir_1e2 = ThresholdForFpir(c.model, 1e-2, n);
  c.threshold_fpir_1e3 = ThresholdForFpir(c.model, 1e-3, n);
  std::sort(best.begin(), best.end(), std::greater<>());
  c.empirical_threshold_fpir_1e2 = EmpiricalThreshold(best, 1e-2);
  c.empirical_threshold_fpir_1e3 = EmpiricalThreshold(best, 1e-3);
  if (options.hubness_k > 0 && n <= kMaxHubnessCalibrationFaces) {
    ASSIGN_OR_RETURN(auto h, CalibrateHubness(gallery, order, options.hubness_k));
    c.hubness = std::move(h);
  }
  return c;
}

int64_t WeakLabelsByClustering(std::vector<GalleryFace>& gallery) {
  if (gallery.empty() || static_cast<int64_t>(gallery.size()) > kMaxClusteredCalibrationFaces)
    return 0;
  std::vector<ClusterFace> faces;
  std::vector<size_t> at;  // gallery position of each clustered face
  for (size_t i = 0; i < gallery.size(); ++i) {
    if (gallery[i].person != 0 || gallery[i].embedding.empty()) continue;
    faces.push_back({gallery[i].id, gallery[i].image_id, gallery[i].embedding.data(), 0});
    at.push_back(i);
  }
  if (faces.size() < 2) return 0;
  const ClusterResult clusters =
      ClusterFaces(faces, static_cast<int>(gallery[at[0]].embedding.size()), ClusterOptions{});
  std::map<int64_t, size_t> position;
  for (size_t k = 0; k < faces.size(); ++k) position[faces[k].id] = at[k];
  int64_t labelled = 0;
  for (size_t p = 0; p < clusters.new_people.size(); ++p)
    for (int64_t id : clusters.new_people[p]) {
      gallery[position.at(id)].person = -static_cast<int64_t>(p) - 1;
      ++labelled;
    }
  return labelled;
}

}  // namespace likeness::openset
