#include "vision/model_manifest.h"

#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "common/hash.h"

namespace likeness::vision {
namespace fs = std::filesystem;

extern const char* const kBuiltinManifestJson;  // generated from models/manifest.json

std::string ModelManifest::EmbedderModelId() const {
  auto it = file_sha256.find(embedder.file);
  const std::string hash = it == file_sha256.end() ? "unpinned" : it->second.substr(0, 12);
  return embedder.id + "@" + hash;
}

Result<ModelManifest> ParseManifest(const std::string& json_text) {
  try {
    const auto doc = nlohmann::json::parse(json_text);
    ModelManifest m;
    for (const auto& pkg : doc.at("packages")) {
      if (pkg.at("dest").get<std::string>() != "models") continue;
      for (const auto& [name, hash] : pkg.at("files").items()) {
        m.file_sha256[name] = hash.get<std::string>();
      }
    }
    const auto& models = doc.at("models");
    const auto& d = models.at("detector");
    m.detector.id = d.at("id");
    m.detector.file = d.at("file");
    m.detector.input_width = d.at("input_width");
    m.detector.input_height = d.at("input_height");
    m.detector.mean = d.at("mean");
    m.detector.scale = d.at("scale");
    m.detector.score_threshold = d.at("score_threshold");
    m.detector.nms_iou = d.at("nms_iou");
    const auto& l = models.at("landmarks");
    m.landmarks.id = l.at("id");
    m.landmarks.file = l.at("file");
    m.landmarks.input_size = l.at("input_size");
    m.landmarks.scale = l.at("scale");
    const auto& e = models.at("embedder");
    m.embedder.id = e.at("id");
    m.embedder.file = e.at("file");
    m.embedder.input_size = e.at("input_size");
    m.embedder.dim = e.at("dim");
    m.embedder.mean = e.at("mean");
    m.embedder.scale = e.at("scale");
    for (const char* role : {"liveness", "pose", "eye"}) {
      if (models.contains(role)) m.aux_files[role] = models.at(role).at("file");
    }
    const auto& t = doc.at("align_template_112");
    if (t.size() != 5) return Status::InvalidArgument("align_template_112 must hold 5 points");
    for (size_t i = 0; i < 5; ++i) m.template_112[i] = {t[i].at(0), t[i].at(1)};
    if (m.embedder.dim != kEmbeddingDim) {
      return Status::InvalidArgument("embedder dim " + std::to_string(m.embedder.dim) +
                                     " differs from the engine's " + std::to_string(kEmbeddingDim));
    }
    return m;
  } catch (const nlohmann::json::exception& ex) {
    return Status::InvalidArgument(std::string("bad model manifest: ") + ex.what());
  }
}

Result<ModelManifest> BuiltinManifest() { return ParseManifest(kBuiltinManifestJson); }

static fs::path CacheRoot() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return fs::path(x) / "likeness";
  if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".cache" / "likeness";
  return fs::temp_directory_path() / "likeness-cache";
}

fs::path DefaultModelDir() {
  if (const char* m = std::getenv("LIKENESS_MODELS"); m && *m) return fs::path(m);
  return CacheRoot() / "models";
}

fs::path DefaultDemoDir() {
  if (const char* m = std::getenv("LIKENESS_DEMO"); m && *m) return fs::path(m);
  return CacheRoot() / "demo";
}

Result<VerifiedModels> LoadVerifiedModels(const ModelManifest& manifest, const fs::path& dir) {
  // Hashing 40 MB of models costs ~100 ms; do it once per (path, hash) per process.
  static std::mutex mu;
  static std::set<std::string> verified;
  std::set<std::string> needed = {manifest.detector.file, manifest.landmarks.file,
                                  manifest.embedder.file};
  for (const auto& [role, file] : manifest.aux_files) needed.insert(file);
  for (const auto& file : needed) {
    auto pin = manifest.file_sha256.find(file);
    if (pin == manifest.file_sha256.end()) {
      return Status::Corruption("model file " + file + " is not pinned in the manifest");
    }
    const fs::path path = dir / file;
    const std::string key = path.string() + "#" + pin->second;
    {
      std::lock_guard lock(mu);
      if (verified.count(key)) continue;
    }
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      return Status::NotFound("model file " + file + " missing from " + dir.string() +
                              " (expected sha256 " + pin->second + "); run scripts/setup");
    }
    ASSIGN_OR_RETURN(std::string got, Sha256FileHex(path));
    if (got != pin->second) {
      return Status::Corruption("model file " + path.string() + " has sha256 " + got +
                                ", expected " + pin->second +
                                "; run scripts/setup to fetch it again");
    }
    std::lock_guard lock(mu);
    verified.insert(key);
  }
  return VerifiedModels{manifest, dir};
}

}  // namespace likeness::vision
