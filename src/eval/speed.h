// Pipeline throughput over a list of images (each entry processed, repeats included).
#pragma once

#include <filesystem>
#include <vector>

#include "eval/benchmarks.h"

namespace likeness::eval {

// Decodes, detects, finds landmarks, aligns and embeds every face of every listed image with
// options.jobs workers (one FaceAnalyzer each), the way ingest does, without storing anything.
Result<StageReport> MeasureThroughput(const std::vector<std::filesystem::path>& files,
                                      const EmbedOptions& options);

}  // namespace likeness::eval
