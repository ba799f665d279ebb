// `likeness bench pairs` and `likeness bench identify`: run the real pipeline over labelled data.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "eval/datasets.h"
#include "eval/metrics.h"
#include "likeness/status.h"
#include "vision/face_analyzer.h"

namespace likeness::eval {

struct EmbedOptions {
  int jobs = 2;
  vision::AnalyzeOptions analyze;
  std::filesystem::path model_dir;  // empty: default
};

struct FileEmbedding {
  Embedding embedding;  // empty when no face was found (or the file failed)
  float quality = 0;    // FaceQuality::overall of that face (template weights)
  std::string error;    // decode or model error, if any
};

struct StageReport {
  double decode_ms = 0, detect_ms = 0, landmarks_ms = 0, align_ms = 0, embed_ms = 0;  // per image
  double images_per_s = 0;
  int64_t images = 0, no_face = 0, failed = 0;
  // Per model (detector, landmarks, embedder): the backend that ran it and its calls, items and
  // time summed over the workers (MeasureThroughput only).
  std::vector<vision::ModelRunInfo> models;
};

// One verified FaceAnalyzer per worker (options.jobs, at least one), from options.model_dir or the
// default.
Result<std::vector<std::unique_ptr<vision::FaceAnalyzer>>> CreateAnalyzers(
    const EmbedOptions& options);

// The face the label refers to when a photo holds several: among faces at least half as large as
// the largest, the one nearest the centre (the LFW convention, robust to small false detections).
int PickLabelledFace(const std::vector<vision::AnalyzedFace>& faces, int width, int height);

// Embeds the labelled face of every file (deduplicated), in parallel.
Result<std::map<std::filesystem::path, FileEmbedding>> EmbedFiles(
    const std::vector<std::filesystem::path>& files, const EmbedOptions& options,
    StageReport* report);

struct PairsReport {
  VerificationMetrics metrics;
  StageReport stages;
  int64_t pairs_missing_face = 0;
};

Result<PairsReport> RunPairsBenchmark(const std::vector<LabelledPair>& pairs,
                                      const EmbedOptions& options);

struct IdentifyOptions {
  // Gallery images per identity: 1 = the first image; N > 1 = a template from the first N usable
  // images (at most all but one, so every identity keeps a probe).
  int templates = 1;
  bool quality_weighted = true;  // template = quality-weighted mean; false: plain mean
  int hubness_k = 5;             // neighbours for the hubness-corrected score
};

struct IdentifyReport {
  IdentificationMetrics metrics;  // raw cosine
  IdentificationMetrics hubness;  // hubness-corrected (openset::HubnessScore)
  StageReport stages;
  int64_t identities = 0, distractors = 0;
};

// Gallery: the first image (or template, see IdentifyOptions) of each identity with two or more
// images, plus every single-image identity as a distractor. Probes: the other images of multi-image
// identities. Each probe counts once as mated (its identity is in the gallery) and once as
// non-mated (its own identity's entry left out), which is how FPIR is measured without a separate
// stranger set. Scored twice: raw cosine and hubness-corrected.
Result<IdentifyReport> RunIdentifyBenchmark(const std::vector<IdentityImages>& identities,
                                            const EmbedOptions& options,
                                            const IdentifyOptions& identify = {});

}  // namespace likeness::eval
