// A data folder with two sources of demo photos (FR: sample1-3, DE: sample4-6) ingested through
// the governed engine, plus the byte-scan helpers the erasure proofs use.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/ingest.h"
#include "governance/governance.h"
#include "testing/test_env.h"

namespace likeness::governance {

class GovernanceTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  catalog::SourceRecord Declare(const std::string& name, const std::string& cc,
                                const std::string& retain_until = "");
  Result<engine::IngestSummary> IngestDemo(const catalog::SourceRecord& source,
                                           std::vector<int> samples);
  std::vector<uint8_t> Bytes(const std::filesystem::path& path);
  std::filesystem::path Demo(int i) const;
  Justification Why() const { return {"officer", "test", "art6-1-c", "CASE-1"}; }
  // Every face id held now.
  std::vector<int64_t> AllFaces();
  // The stored embedding of a face.
  Embedding EmbeddingOf(int64_t face_id);
  // Concatenated bytes of every file in the data folder (recursively).
  std::string DataFolderBytes();
  // Whether the first 64 bytes (16 floats, raw float32 LE as stored) of `e` occur in `haystack`.
  static bool Contains(const std::string& haystack, const Embedding& e);

  likeness::testing::TempDir dir_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<Governance> gov_;
  catalog::SourceRecord fr_, de_;
};

}  // namespace likeness::governance
