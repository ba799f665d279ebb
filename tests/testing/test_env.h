// Test helpers: temporary folders, and where the models, demo photos and shared dev data live.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace likeness::testing {

// A fresh temporary directory, removed when the object goes out of scope.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The verified model folder (LIKENESS_MODELS or the default cache); nullopt if not set up.
std::optional<std::filesystem::path> ModelDir();
// The folder holding sample1.jpg..sample6.jpg (set up by scripts/setup); nullopt if absent.
std::optional<std::filesystem::path> DemoPhotoDir();
// ../shared/data/faces-dev relative to the source tree, or LIKENESS_FACES_DEV; nullopt if absent.
std::optional<std::filesystem::path> FacesDevDir();
// The repository root (for models/manifest.json and fixtures).
std::filesystem::path SourceRoot();

}  // namespace likeness::testing
