// `likeness calibrate`: open-set thresholds measured on the catalog itself, without labels.
//
// Assumption: in a catalog most pairs of faces from different photos are different people, so the
// scores of sampled faces against every face outside their own photo approximate the impostor
// distribution, and each sampled face's best such score approximates the best impostor score a
// stranger would get from a gallery of this size. Bias: when the catalog holds several photos of
// one person those mated scores are counted as impostors, which fattens the tail; the thresholds
// come out higher (stricter) than labelled data would give and the expected false-match numbers
// are over-estimates. Conservative for "never name a stranger", at some cost in missed matches.
// The bias is severe when most people have many photos (ORL: 10 each, so the top 1 % of "impostor"
// scores are nearly all mates). Remedy: pass the people clustering as weak labels
// (GalleryFace::person: the stored people, or WeakLabelsByClustering in memory); pairs of faces of
// one person are then left out. Mates the clustering missed still count as impostors; look-alikes
// it merged are left out of the tail (the other sign), which engine::Decide bounds by never going
// below the default threshold.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "likeness/status.h"
#include "openset/impostor_model.h"
#include "openset/neighbourhood_stats.h"

namespace likeness::openset {

// Cap on scored comparisons (probes * gallery) in one calibration; keeps it to seconds.
inline constexpr int64_t kMaxCalibrationComparisons = 4'000'000;
// The default target FPIR: 1 % of stranger searches raise a false match.
inline constexpr double kDefaultTargetFpir = 0.01;
// Upper bound on sampled probe faces.
inline constexpr int64_t kMaxCalibrationProbes = 2000;

struct GalleryFace {
  int64_t id = 0;
  int64_t image_id = 0;  // faces of one image are never compared with each other
  int64_t person = 0;    // people clustering, when known: faces of one person are not compared
  std::vector<float> embedding;  // L2-normalised
};

// The hubness calibration needs every face's k-NN mean, O(N^2 * d) brute force: above this many
// faces it is skipped (the engine's persisted state is the way to scale it; not wired yet).
inline constexpr int64_t kMaxHubnessCalibrationFaces = 6000;

struct CalibrationOptions {
  uint32_t seed = 1;  // probe sampling (deterministic)
  int64_t max_probes = kMaxCalibrationProbes;
  int hubness_k = kDefaultHubnessK;  // 0: calibrate raw cosine only
};

// The impostor model and thresholds of one scoring other than raw cosine (same probes, same
// exclusions as the cosine calibration; the probe's own entry is left out of its k-NN mean).
struct ScoreCalibration {
  int k = 0;
  ImpostorModel model;
  double threshold_fpir_1e2 = 0, threshold_fpir_1e3 = 0;
};

struct Calibration {
  int64_t gallery_size = 0;
  int64_t probes = 0;                // sampled faces
  int64_t excluded_same_person = 0;  // comparisons skipped as one person (GalleryFace::person)
  ImpostorModel model;               // per-comparison impostor tail
  // Thresholds for a target FPIR at this gallery size, from the model.
  double threshold_fpir_1e2 = 0, threshold_fpir_1e3 = 0;
  // The same read directly off the sampled best non-self scores (no model; coarse when the sample
  // is small: the 0.1 % quantile needs 1000+ probes). NaN-free: equals the top score when too few.
  double empirical_threshold_fpir_1e2 = 0, empirical_threshold_fpir_1e3 = 0;
  std::string measured_at;  // ISO 8601 UTC, set by the caller
  // The operator's target false-positive identification rate: search declares a match only at or
  // above the threshold that holds it for the searched gallery's size (engine/decision.h). Set by
  // `likeness calibrate --target-fpir`; kept across recalibrations.
  double target_fpir = kDefaultTargetFpir;
  // The hubness-corrected score's calibration (absent when skipped: hubness_k 0 or a gallery over
  // kMaxHubnessCalibrationFaces).
  std::optional<ScoreCalibration> hubness;
};

// Above this many faces the in-memory people clustering (WeakLabelsByClustering) is skipped:
// it is O(N^2 * d) like the hubness calibration.
inline constexpr int64_t kMaxClusteredCalibrationFaces = 6000;

// Gives faces without a person (GalleryFace::person 0) the people clustering's grouping
// (openset/clustering.h, default options) as weak labels, for a catalog that has no people store:
// without it, every photo pair of one person counts as an impostor pair and the thresholds come out
// near 1 on catalogs with several photos per person. Labels made here are negative, so they never
// collide with people-store ids. Returns the number of faces labelled; does nothing above
// kMaxClusteredCalibrationFaces faces. Measured effect: bench/README.md, "Realised FPIR".
int64_t WeakLabelsByClustering(std::vector<GalleryFace>& gallery);

// InvalidArgument when the gallery has under 2 faces or too few cross-photo comparisons to fit.
Result<Calibration> Calibrate(const std::vector<GalleryFace>& gallery,
                              const CalibrationOptions& options = {});

}  // namespace likeness::openset
