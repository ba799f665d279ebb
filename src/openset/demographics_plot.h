// Plots of a DemographicReport after NIST IR 8280: FMR and FNMR per group, side by side, on log
// scales, one row per group. A filled dot is a measured rate; a hollow dot at 1/pairs marks a
// group where no error was observed (the true rate lies below it).
#pragma once

#include <filesystem>
#include <string>

#include "likeness/status.h"
#include "openset/demographics.h"

namespace likeness::openset {

// The SVG document, written by hand (no library).
std::string DemographicSvg(const DemographicReport& report);
// The same figure drawn with OpenCV and written as PNG. IOError when it cannot be written.
Status WriteDemographicPng(const DemographicReport& report, const std::filesystem::path& path);

}  // namespace likeness::openset
