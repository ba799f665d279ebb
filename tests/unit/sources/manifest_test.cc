// Manifest parsing: header, CSV quoting, TSV, optional columns, bad rows, refused manifests.
#include "sources/manifest.h"

#include <gtest/gtest.h>

#include <fstream>

#include "testing/test_env.h"

namespace likeness::sources {
namespace {
namespace fs = std::filesystem;

TEST(ManifestTest, ParsesCsvWithQuotesCommentsAndOptionalColumns) {
  const std::string text =
      "# photos from the 2024 archive\n"
      "\n"
      "path,location,collected_at,retain_until\n"
      "a/one.jpg,,2024-05-01,2031-12-31\n"
      "/abs/two.jpg,\"Town hall, door \"\"3\"\"\",2024-05-01T10:00:00Z,\n"
      "# a comment between rows\n"
      "three.jpg\r\n";
  auto rows = ParseManifest(text, "/base");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].path, fs::path("/base/a/one.jpg"));
  EXPECT_EQ((*rows)[0].line, 4);
  EXPECT_EQ((*rows)[0].collected_at, "2024-05-01");
  EXPECT_EQ((*rows)[0].retain_until, "2031-12-31");
  EXPECT_EQ((*rows)[1].path, fs::path("/abs/two.jpg"));
  EXPECT_EQ((*rows)[1].location, "Town hall, door \"3\"");
  EXPECT_EQ((*rows)[1].collected_at, "2024-05-01T10:00:00Z");
  EXPECT_EQ((*rows)[2].path, fs::path("/base/three.jpg"));
  EXPECT_EQ((*rows)[2].line, 7);
  for (const auto& r : *rows) EXPECT_TRUE(r.status.ok()) << r.status.ToString();
}

TEST(ManifestTest, ParsesTsvAndColumnsInAnyOrder) {
  auto rows = ParseManifest("retain_until\tpath\n2030-01-01\tx, y.jpg\n", "/m");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].path, fs::path("/m/x, y.jpg"));
  EXPECT_EQ((*rows)[0].retain_until, "2030-01-01");
}

TEST(ManifestTest, BadRowsAreReportedNotFatal) {
  auto rows = ParseManifest(
      "path,retain_until,collected_at\n"
      "a.jpg,2030-13-01,\n"
      ",2030-01-01,\n"
      "b.jpg,,yesterday\n"
      "\"c.jpg,,\n"
      "d.jpg,,,extra\n"
      "e.jpg,,\n",
      "/m");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 6u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ((*rows)[i].status.code(), StatusCode::kInvalidArgument) << i;
  }
  EXPECT_TRUE((*rows)[5].status.ok());
}

TEST(ManifestTest, RefusesManifestsWithoutPathOrWithUnknownColumns) {
  EXPECT_EQ(ParseManifest("", "/").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseManifest("# only a comment\n", "/").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseManifest("file,location\nx.jpg,\n", "/").status().code(),
            StatusCode::kInvalidArgument);
  auto typo = ParseManifest("path,retain_untill\nx.jpg,2030-01-01\n", "/");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("retain_untill"), std::string::npos);
  EXPECT_FALSE(ParseManifest("path,path\nx,y\n", "/").ok());
  ManifestLimits limits;
  limits.max_rows = 2;
  EXPECT_FALSE(ParseManifest("path\na\nb\nc\n", "/", limits).ok());
}

TEST(ManifestTest, ReadsFilesAndDetectsManifestsByNameAndHeader) {
  likeness::testing::TempDir tmp;
  const fs::path csv = tmp.path() / "list.csv";
  std::ofstream(csv) << "path\nsub/p.jpg\n";
  auto rows = ReadManifest(csv);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].path, (fs::absolute(tmp.path()) / "sub/p.jpg").lexically_normal());
  EXPECT_TRUE(LooksLikeManifest(csv));
  const fs::path other = tmp.path() / "data.csv";
  std::ofstream(other) << "name,score\nx,1\n";
  EXPECT_FALSE(LooksLikeManifest(other));
  const fs::path txt = tmp.path() / "list.txt";
  std::ofstream(txt) << "path\nx.jpg\n";
  EXPECT_FALSE(LooksLikeManifest(txt));
  EXPECT_EQ(ReadManifest(tmp.path() / "none.csv").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace likeness::sources
