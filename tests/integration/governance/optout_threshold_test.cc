// Measures the opt-out threshold (kOptOutThreshold) on the labelled dev sets: the false-match rate
// (impostor pairs scoring at or above it) and the false-non-match rate, next to the search
// threshold. The figures are printed and documented in docs/PRIVACY.md. Skips when the dev data
// is absent.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "engine/engine.h"
#include "engine/search.h"
#include "governance/governance.h"
#include "testing/test_env.h"

namespace likeness::governance {
namespace {
namespace fs = std::filesystem;

struct Rates {
  int64_t impostor = 0, genuine = 0, false_match = 0, false_non_match = 0;
};

TEST(OptOutThreshold, FalseMatchRateOnDevPairs) {
  auto dev = likeness::testing::FacesDevDir();
  if (!dev) GTEST_SKIP() << "faces-dev not present";
  ASSERT_TRUE(likeness::testing::ModelDir());
  likeness::testing::TempDir dir;
  engine::EngineOptions options;
  options.data_dir = dir.path() / "data";
  options.model_dir = *likeness::testing::ModelDir();
  auto eng = engine::Engine::Open(options);
  ASSERT_TRUE(eng.ok()) << eng.status().ToString();
  auto analyzer = (*eng)->NewAnalyzer();
  ASSERT_TRUE(analyzer.ok());

  std::vector<std::pair<std::string, Embedding>> faces;  // identity, embedding
  for (const char* set : {"orl", "yale", "deepface"}) {
    std::ifstream labels(*dev / set / "labels.csv");
    std::string line;
    std::getline(labels, line);  // header
    while (std::getline(labels, line)) {
      const auto comma = line.find(',');
      if (comma == std::string::npos) continue;
      auto img = engine::LoadImageFile(*dev / set / line.substr(0, comma), options);
      if (!img.ok()) continue;
      auto found = (*analyzer)->Analyze(img->bgr, (*eng)->options().analyze);
      if (!found.ok() || found->empty()) continue;
      faces.emplace_back(line.substr(comma + 1), (*found)[0].embedding);
    }
  }
  ASSERT_GT(faces.size(), 300u);
  Rates search, optout;
  for (size_t i = 0; i < faces.size(); ++i) {
    for (size_t j = i + 1; j < faces.size(); ++j) {
      const float s = engine::Cosine(faces[i].second, faces[j].second);
      const bool same = faces[i].first == faces[j].first;
      for (auto [r, t] : {std::pair{&search, engine::kDefaultMatchThreshold},
                          std::pair{&optout, kOptOutThreshold}}) {
        if (same) {
          ++r->genuine;
          r->false_non_match += s < t;
        } else {
          ++r->impostor;
          r->false_match += s >= t;
        }
      }
    }
  }
  for (auto [name, r, t] : {std::tuple{"search", &search, engine::kDefaultMatchThreshold},
                            std::tuple{"opt-out", &optout, kOptOutThreshold}}) {
    std::printf("%-8s threshold %.2f: FMR %lld/%lld = %.2e, FNMR %lld/%lld = %.3f (%zu faces)\n",
                name, t, static_cast<long long>(r->false_match),
                static_cast<long long>(r->impostor),
                static_cast<double>(r->false_match) / r->impostor,
                static_cast<long long>(r->false_non_match), static_cast<long long>(r->genuine),
                static_cast<double>(r->false_non_match) / r->genuine, faces.size());
  }
  EXPECT_LE(optout.false_match, search.false_match);
  // Documented bound: an opt-out must almost never erase or block a stranger.
  EXPECT_LE(static_cast<double>(optout.false_match) / optout.impostor, 1e-3);
}

}  // namespace
}  // namespace likeness::governance
