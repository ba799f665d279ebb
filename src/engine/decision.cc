#include "engine/decision.h"

#include <algorithm>
#include <mutex>

#include "engine/remote_search.h"
#include "openset/calibration_file.h"
#include "openset/impostor_model.h"
#include "openset/people_clustering.h"
#include "openset/people_store.h"
#include "privacy/utc_time.h"

namespace likeness::engine {
namespace {

// One self-calibration at a time per process: the others wait and then read its file.
std::mutex& CalibrationMutex() {
  static std::mutex mu;
  return mu;
}

}  // namespace

Result<Decision> Decide(const std::optional<openset::Calibration>& calibration, Scoring scoring,
                        int64_t gallery_size) {
  Decision d;
  d.threshold = d.floor = DefaultThreshold(scoring);
  const openset::ImpostorModel* model = nullptr;
  if (calibration) {
    d.target_fpir = calibration->target_fpir;
    d.calibrated_faces = calibration->gallery_size;
    model = scoring == Scoring::kHubness
                ? (calibration->hubness ? &calibration->hubness->model : nullptr)
                : &calibration->model;
  }
  if (model == nullptr) {
    if (gallery_size > kAutoCalibrateFaces) {
      return Status::FailedPrecondition(
          "a gallery of " + std::to_string(gallery_size) + " faces declares no match without a " +
          std::string(ScoringName(scoring)) +
          " calibration (run `likeness calibrate`; a cluster router needs the calibration.json "
          "of its catalog)");
    }
    return d;
  }
  const int64_t n = std::max<int64_t>(1, gallery_size);
  d.calibrated = true;
  d.model = *model;
  // The calibration only ever tightens the scoring's default: on a small catalog (few people,
  // few comparisons) the fitted tail is light and its thresholds undershoot (realised FPIR up to
  // 8x the target at 25 faces, bench/README.md "Realised FPIR"), so they are raised to the default.
  const float default_threshold = DefaultThreshold(scoring);
  d.threshold = std::max(default_threshold,
                         static_cast<float>(openset::ThresholdForFpir(*model, d.target_fpir, n)));
  d.floor = std::max(default_threshold,
                     static_cast<float>(openset::ThresholdForFpir(*model, kFloorFpir, n)));
  // A target stricter than the floor's FPIR raises the threshold; a looser one never lowers the
  // floor: clients without the review right stay at or above the FPIR 1 % threshold.
  d.floor = std::min(d.floor, d.threshold);
  return d;
}

bool CalibrationStale(const openset::Calibration& calibration, int64_t searchable_faces) {
  return static_cast<double>(searchable_faces) >
         kRecalibrateGrowth * static_cast<double>(std::max<int64_t>(1, calibration.gallery_size));
}

Result<openset::Calibration> CalibrateCatalog(catalog::Catalog& catalog,
                                              const std::filesystem::path& data_dir, uint32_t seed,
                                              std::optional<double> target_fpir) {
  if (target_fpir && !(*target_fpir > 0 && *target_fpir < 1))
    return Status::InvalidArgument("the target FPIR must lie strictly between 0 and 1");
  ASSIGN_OR_RETURN(std::vector<openset::GalleryFace> gallery, openset::LoadGallery(catalog));
  // The people clustering, when there is one, serves as weak labels (see calibration.h).
  if (std::filesystem::exists(data_dir / openset::kPeopleFileName)) {
    ASSIGN_OR_RETURN(auto people, openset::PeopleStore::Open(data_dir));
    ASSIGN_OR_RETURN(auto assigned, people->Assignments());
    for (auto& f : gallery)
      if (auto it = assigned.find(f.id); it != assigned.end()) f.person = it->second.person;
  }
  // Faces no person holds are grouped in memory for the calibration only (nothing is stored).
  openset::WeakLabelsByClustering(gallery);
  openset::CalibrationOptions options;
  options.seed = seed;
  ASSIGN_OR_RETURN(openset::Calibration c, openset::Calibrate(gallery, options));
  c.measured_at = privacy::FormatUtc(std::chrono::system_clock::now());
  if (target_fpir) {
    c.target_fpir = *target_fpir;
  } else if (auto previous = openset::LoadCalibration(data_dir); previous.ok()) {
    c.target_fpir = previous->target_fpir;
  }
  RETURN_IF_ERROR(openset::SaveCalibration(data_dir, c));
  return c;
}

Result<std::optional<openset::Calibration>> CurrentCalibration(Engine& engine) {
  const auto& dir = engine.options().data_dir;
  auto loaded = openset::LoadCalibration(dir);
  if (loaded.ok()) return std::optional<openset::Calibration>(std::move(*loaded));
  if (loaded.status().code() != StatusCode::kNotFound) return loaded.status();
  if (engine.remote_searcher() != nullptr || engine.index().size() <= kAutoCalibrateFaces)
    return std::optional<openset::Calibration>();
  std::lock_guard lock(CalibrationMutex());
  if (auto again = openset::LoadCalibration(dir); again.ok())  // another search calibrated
    return std::optional<openset::Calibration>(std::move(*again));
  ASSIGN_OR_RETURN(openset::Calibration c, CalibrateCatalog(engine.catalog(), dir));
  return std::optional<openset::Calibration>(std::move(c));
}

}  // namespace likeness::engine
