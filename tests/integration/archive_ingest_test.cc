// engine::Ingest over an archive through sources::OpenSources, and stored archive locations read
// back (the path the server's media handler and reembed take).
#include <gtest/gtest.h>

#include <mutex>

#include "common/hash.h"
#include "engine/engine.h"
#include "engine/ingest.h"
#include "sources/sources.h"
#include "testing/archive_builder.h"
#include "testing/test_env.h"

namespace likeness::engine {
namespace {
namespace fs = std::filesystem;
using likeness::testing::ArchiveType;
using likeness::testing::ReadAll;
using likeness::testing::TempDir;

TEST(ArchiveIngestTest, EntriesAreStoredAtTheirLocationAndReadBack) {
  ASSERT_TRUE(likeness::testing::ModelDir()) << "models missing: run scripts/setup";
  ASSERT_TRUE(likeness::testing::DemoPhotoDir()) << "demo photos missing: run scripts/setup";
  const fs::path demo = *likeness::testing::DemoPhotoDir();
  TempDir dir;
  EngineOptions options;
  options.data_dir = dir.path() / "data";
  options.model_dir = *likeness::testing::ModelDir();
  auto engine = Engine::Open(options);
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  SourceDeclaration d{.name = "zipped",
                      .legal_basis = "art6-1-e",
                      .art9_condition = "art9-2-g",
                      .jurisdiction = "de",
                      .collector = "test",
                      .kind = catalog::SourceKind::kArchive};
  auto source = DeclareSource((*engine)->catalog(), d);
  ASSERT_TRUE(source.ok()) << source.status().ToString();

  const fs::path zip = dir.path() / "a.zip";
  const std::string one = ReadAll(demo / "sample1.jpg");
  ASSERT_TRUE(likeness::testing::WriteArchive(
      zip, ArchiveType::kZip,
      {{.name = "x/one.jpg", .bytes = one},
       {.name = "../two.jpg", .bytes = ReadAll(demo / "sample2.jpg")}}));
  auto items = sources::OpenSources({zip});
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  std::vector<std::string> seen;
  IngestOptions io{.jobs = 2};
  std::mutex mu;
  io.on_file = [&](const std::string& location, const Status& st) {
    std::lock_guard lock(mu);
    seen.push_back(location + (st.ok() ? "" : " " + st.ToString()));
  };
  auto summary = Ingest(**engine, *source, **items, io);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->totals.images, 2);
  EXPECT_EQ(summary->totals.errors, 0);
  EXPECT_EQ(seen.size(), 2u);

  const std::string location = sources::ArchiveEntryLocation(zip, "x/one.jpg");
  auto bytes = ReadStoredBytes(location, (*engine)->options());
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_EQ(std::string(bytes->begin(), bytes->end()), one);
  auto decoded =
      LoadImageFile(sources::ArchiveEntryLocation(zip, "../two.jpg"), (*engine)->options());
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_GT(decoded->original_width, 0);
  for (int64_t id = 1; id <= 2; ++id) {
    auto image = (*engine)->catalog().GetImage(id);
    ASSERT_TRUE(image.ok());
    auto stored = ReadStoredBytes(image->path, (*engine)->options());
    ASSERT_TRUE(stored.ok()) << image->path;
    EXPECT_EQ(Sha256Hex(*stored), image->content_hash) << image->path;
  }
  EXPECT_EQ(ReadStoredBytes(sources::ArchiveEntryLocation(zip, "x/none.jpg"), (*engine)->options())
                .status()
                .code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace likeness::engine
