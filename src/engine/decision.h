// The open-set decision that follows the gallery: a search declares a match only at or above the
// threshold that holds the operator's target false-positive identification rate (FPIR, default
// 1 % of stranger searches) for the size of the gallery it searched (a tenant's visible faces, a
// cluster's whole gallery). The threshold comes from the catalog's impostor model
// (<data>/calibration.json, src/openset/calibration.h): FPIR(t, N) = 1 - (1 - FMR(t))^N.
//
// Without a calibration a small catalog (at most kAutoCalibrateFaces searchable faces) uses the
// scoring's default threshold (measured on the dev sets, search.h); a larger one calibrates itself
// (CurrentCalibration) before any of its searches declares a match. A calibration measured on a
// catalog that has since grown past kRecalibrateGrowth times its size is stale: its model still
// gives the threshold for the current size, and the server recalibrates in the background.
//
// Thread safety: the functions are thread safe; concurrent self-calibrations run one at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "catalog/catalog.h"
#include "engine/engine.h"
#include "engine/search.h"
#include "openset/calibration.h"

namespace likeness::engine {

// Clients without the review right may not ask for a threshold below the one holding this FPIR.
inline constexpr double kFloorFpir = 0.01;
// Above this many searchable faces, no match is declared without a calibration.
inline constexpr int64_t kAutoCalibrateFaces = 2000;
// A calibration is stale once the catalog holds more than this factor times its measured size.
inline constexpr double kRecalibrateGrowth = 2.0;
// Sub-threshold candidates for human review: at most this many per probe face.
inline constexpr int kMaxReviewCandidates = 10;

struct Decision {
  float threshold = kDefaultMatchThreshold;  // a match scores at least this
  float floor = kDefaultMatchThreshold;      // lowest threshold a client may ask for unreviewed
  double target_fpir = openset::kDefaultTargetFpir;
  bool calibrated = false;       // false: the scoring's default (small, uncalibrated catalog)
  int64_t calibrated_faces = 0;  // the gallery size the calibration was measured at
  std::optional<openset::ImpostorModel> model;  // the scoring's impostor model, when calibrated
};

// The decision for `scoring` over a gallery of `gallery_size` faces. Errors: FailedPrecondition
// when the gallery is above kAutoCalibrateFaces and `calibration` is absent or has no model for
// the scoring (no match may be declared then).
Result<Decision> Decide(const std::optional<openset::Calibration>& calibration, Scoring scoring,
                        int64_t gallery_size);

// True when the catalog grew past kRecalibrateGrowth times the calibration's gallery.
bool CalibrationStale(const openset::Calibration& calibration, int64_t searchable_faces);

// Measures the catalog's impostor model (people.db, when present, as weak labels), keeps the
// stored target FPIR unless `target_fpir` is given, stores <data>/calibration.json and returns it.
// Errors: InvalidArgument (too few faces, target outside (0, 1)), IOError.
Result<openset::Calibration> CalibrateCatalog(catalog::Catalog& catalog,
                                              const std::filesystem::path& data_dir,
                                              uint32_t seed = 1,
                                              std::optional<double> target_fpir = std::nullopt);

// The engine's calibration: calibration.json, or none for a small uncalibrated catalog; a local
// catalog above kAutoCalibrateFaces without one is calibrated now (once; concurrent callers wait).
// A cluster router cannot calibrate (its faces are on the shards): it uses the file it was given.
Result<std::optional<openset::Calibration>> CurrentCalibration(Engine& engine);

}  // namespace likeness::engine
