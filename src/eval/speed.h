// Pipeline throughput over a list of images (each entry processed, repeats included).
#pragma once

#include <filesystem>
#include <vector>

#include "eval/benchmarks.h"
#include "imageio/decode.h"

namespace likeness::eval {

struct ThroughputOptions {
  // As IngestOptions::embed_batch: > 0 gathers aligned faces across images into forward passes of
  // this many faces (vision::EmbedQueue, run by the same workers); 0 = each worker embeds its own
  // image's faces in passes of EmbedOptions::analyze.embed_batch (0 = all in one pass).
  int embed_batch = 0;
  // Ingest's decode options (EngineOptions::decode): large JPEGs decoded at reduced scale.
  imageio::DecodeOptions decode = {.max_pixels = 100'000'000, .reduce_above_side = 2400};
};

// Decodes, detects, finds landmarks, aligns and embeds every face of every listed image with
// options.jobs workers (one FaceAnalyzer each), the way ingest does (same stages, same batching and
// queueing), without storing anything. Stage times are per image, summed over workers.
Result<StageReport> MeasureThroughput(const std::vector<std::filesystem::path>& files,
                                      const EmbedOptions& options,
                                      const ThroughputOptions& throughput = {});

}  // namespace likeness::eval
