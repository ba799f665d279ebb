// <data>/calibration.json: the thresholds `likeness calibrate` measured, read back by search.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>

#include "likeness/status.h"
#include "openset/calibration.h"

namespace likeness::openset {

inline constexpr const char* kCalibrationFileName = "calibration.json";
inline constexpr int kCalibrationFormat = 1;

nlohmann::json ToJson(const Calibration& c);
// InvalidArgument for a missing field or another format version.
Result<Calibration> CalibrationFromJson(const nlohmann::json& j);

// Written atomically (temp file + rename). IOError on failure.
Status SaveCalibration(const std::filesystem::path& data_dir, const Calibration& c);
// NotFound when the data folder holds no calibration; Corruption when it does not parse.
Result<Calibration> LoadCalibration(const std::filesystem::path& data_dir);

}  // namespace likeness::openset
