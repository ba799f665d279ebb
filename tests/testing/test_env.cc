#include "testing/test_env.h"

#include <cstdlib>
#include <random>

namespace likeness::testing {
namespace fs = std::filesystem;

TempDir::TempDir() {
  std::random_device rd;
  for (int attempt = 0; attempt < 100; ++attempt) {
    fs::path candidate = fs::temp_directory_path() / ("likeness-test-" + std::to_string(rd()));
    std::error_code ec;
    if (fs::create_directory(candidate, ec)) {
      path_ = candidate;
      return;
    }
  }
  std::abort();
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

fs::path SourceRoot() { return fs::path(LIKENESS_SOURCE_ROOT); }

static fs::path CacheRoot() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return fs::path(x) / "likeness";
  if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".cache" / "likeness";
  return fs::path("/tmp/likeness-cache");
}

std::optional<fs::path> ModelDir() {
  fs::path dir;
  if (const char* m = std::getenv("LIKENESS_MODELS"); m && *m) {
    dir = m;
  } else {
    dir = CacheRoot() / "models";
  }
  if (fs::exists(dir / "fr_feature.onnx")) return dir;
  return std::nullopt;
}

std::optional<fs::path> DemoPhotoDir() {
  fs::path dir;
  if (const char* m = std::getenv("LIKENESS_DEMO"); m && *m) {
    dir = m;
  } else {
    dir = CacheRoot() / "demo";
  }
  if (fs::exists(dir / "sample1.jpg")) return dir;
  return std::nullopt;
}

std::optional<fs::path> FacesDevDir() {
  if (const char* m = std::getenv("LIKENESS_FACES_DEV"); m && *m) {
    if (fs::exists(m)) return fs::path(m);
    return std::nullopt;
  }
  fs::path p = SourceRoot().parent_path() / "shared" / "data" / "faces-dev";
  if (fs::exists(p)) return p;
  return std::nullopt;
}

}  // namespace likeness::testing
