// The model manifest (models/manifest.json, compiled into the binary) and model-file verification.
//
// Every model file is pinned by sha256; LoadVerifiedModels refuses a missing or altered file with
// an error naming the file and the expected hash. Model facts (input sizes, normalisation,
// thresholds, the alignment template) live in the manifest, not in code.
#pragma once

#include <array>
#include <filesystem>
#include <map>
#include <string>

#include "likeness/status.h"
#include "likeness/types.h"

namespace likeness::vision {

struct DetectorSpec {
  std::string id, file;
  int input_width = 320, input_height = 240;
  float mean = 127.0f, scale = 1.0f / 128.0f;
  float score_threshold = 0.65f, nms_iou = 0.4f;
};

struct LandmarkSpec {
  std::string id, file;
  int input_size = 64;
  float scale = 1.0f / 256.0f;
};

struct EmbedderSpec {
  std::string id, file;
  int input_size = 112, dim = kEmbeddingDim;
  float mean = 127.0f, scale = 1.0f / 128.0f;
};

struct ModelManifest {
  DetectorSpec detector;
  LandmarkSpec landmarks;
  EmbedderSpec embedder;
  std::map<std::string, std::string> file_sha256;  // file name -> pinned sha256 (models package)
  std::map<std::string, std::string> aux_files;    // role (liveness, pose, eye) -> file name
  std::array<Point2, 5> template_112{};

  // Identifies the embedding model precisely: "<id>@<sha256 prefix>". Stored with every embedding.
  std::string EmbedderModelId() const;
};

// The manifest compiled into this binary.
Result<ModelManifest> BuiltinManifest();
// Parses a manifest document (same schema as models/manifest.json). InvalidArgument on bad
// JSON/keys.
Result<ModelManifest> ParseManifest(const std::string& json_text);

// LIKENESS_MODELS if set, else $XDG_CACHE_HOME/likeness/models or ~/.cache/likeness/models.
std::filesystem::path DefaultModelDir();
// LIKENESS_DEMO if set, else the cache's demo folder (the face-api sample photos).
std::filesystem::path DefaultDemoDir();

struct VerifiedModels {
  ModelManifest manifest;
  std::filesystem::path dir;
  std::filesystem::path Path(const std::string& file) const { return dir / file; }
};

// Checks that every file the manifest pins exists in `dir` with the pinned sha256.
// Errors: NotFound ("model file X missing from DIR; run scripts/setup"), Corruption ("model file X
// has sha256 A, expected B"). Verification hashes each file once per process and caches the answer.
Result<VerifiedModels> LoadVerifiedModels(const ModelManifest& manifest,
                                          const std::filesystem::path& dir);

}  // namespace likeness::vision
