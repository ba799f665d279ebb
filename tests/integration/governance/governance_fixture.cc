#include "governance_fixture.h"

#include <cstring>
#include <fstream>

namespace likeness::governance {
namespace fs = std::filesystem;

void GovernanceTest::SetUp() {
  ASSERT_TRUE(likeness::testing::ModelDir()) << "models missing: run scripts/setup";
  ASSERT_TRUE(likeness::testing::DemoPhotoDir()) << "demo photos missing: run scripts/setup";
  engine::EngineOptions options;
  options.data_dir = dir_.path() / "data";
  options.model_dir = *likeness::testing::ModelDir();
  auto e = engine::Engine::Open(options);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  engine_ = std::move(*e);
  auto g = Governance::Open(*engine_, "ingester");
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  gov_ = std::move(*g);
  fr_ = Declare("fr-photos", "FR");
  de_ = Declare("de-photos", "DE");
  auto a = IngestDemo(fr_, {1, 2, 3});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = IngestDemo(de_, {4, 5, 6});
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_GE(AllFaces().size(), 12u);
}

void GovernanceTest::TearDown() {
  gov_.reset();
  engine_.reset();
}

catalog::SourceRecord GovernanceTest::Declare(const std::string& name, const std::string& cc,
                                              const std::string& retain_until) {
  engine::SourceDeclaration d{.name = name,
                              .legal_basis = "art6-1-e",
                              .art9_condition = "art9-2-g",
                              .jurisdiction = cc,
                              .retain_until = retain_until,
                              .collector = "test"};
  auto s = engine::DeclareSource(engine_->catalog(), d);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : catalog::SourceRecord{};
}

fs::path GovernanceTest::Demo(int i) const {
  return *likeness::testing::DemoPhotoDir() / ("sample" + std::to_string(i) + ".jpg");
}

Result<engine::IngestSummary> GovernanceTest::IngestDemo(const catalog::SourceRecord& source,
                                                         std::vector<int> samples) {
  std::vector<fs::path> files;
  for (int i : samples) files.push_back(Demo(i));
  engine::IngestOptions o;
  o.jobs = 1;
  return engine::Ingest(*engine_, source, files, o);
}

std::vector<uint8_t> GovernanceTest::Bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), {});
}

std::vector<int64_t> GovernanceTest::AllFaces() {
  std::vector<int64_t> ids;
  EXPECT_TRUE(engine_->catalog()
                  .ForEachEmbedding([&](int64_t id, bool, std::span<const float>) {
                    ids.push_back(id);
                    return true;
                  })
                  .ok());
  return ids;
}

Embedding GovernanceTest::EmbeddingOf(int64_t face_id) {
  auto f = engine_->catalog().GetFace(face_id, true);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return f.ok() ? f->embedding : Embedding{};
}

std::string GovernanceTest::DataFolderBytes() {
  std::string all;
  for (const auto& entry : fs::recursive_directory_iterator(engine_->options().data_dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    all.append(std::istreambuf_iterator<char>(in), {});
    all.push_back('\0');
  }
  return all;
}

bool GovernanceTest::Contains(const std::string& haystack, const Embedding& e) {
  std::string needle(64, '\0');
  std::memcpy(needle.data(), e.data(), needle.size());
  return haystack.find(needle) != std::string::npos;
}

}  // namespace likeness::governance
