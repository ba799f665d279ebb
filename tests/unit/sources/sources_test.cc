// OpenSources: folders, archives and manifests as one stream of items.
#include "sources/sources.h"

#include <gtest/gtest.h>

#include <fstream>

#include "testing/archive_builder.h"
#include "testing/test_env.h"

namespace likeness::sources {
namespace {
namespace fs = std::filesystem;
using likeness::testing::ArchiveType;
using likeness::testing::TempDir;

std::vector<SourceItem> Drain(ItemSource& source) {
  std::vector<SourceItem> items;
  SourceItem item;
  while (source.Next(&item)) items.push_back(std::move(item));
  return items;
}

TEST(SourcesTest, FolderArchiveAndManifestAreOneStream) {
  TempDir tmp;
  const fs::path folder = tmp.path() / "folder";
  fs::create_directories(folder / "sub");
  std::ofstream(folder / "b.jpg") << "b";
  std::ofstream(folder / "sub" / "a.jpg") << "a";
  std::ofstream(folder / ".hidden.jpg") << "h";
  const fs::path zip = tmp.path() / "photos.bin";  // no archive extension: detected by magic
  ASSERT_TRUE(likeness::testing::WriteArchive(zip, ArchiveType::kZip,
                                              {{.name = "in/zip.jpg", .bytes = "z"}}));
  const fs::path manifest = tmp.path() / "list.csv";
  std::ofstream(manifest) << "path,location,retain_until\n"
                             "folder/b.jpg,Box 7,2031-01-01\n"
                             "gone.jpg,,\n";

  EXPECT_EQ(*DetectPathKind(folder), PathKind::kFolder);
  EXPECT_EQ(*DetectPathKind(zip), PathKind::kArchive);
  EXPECT_EQ(*DetectPathKind(manifest), PathKind::kManifest);
  EXPECT_EQ(*DetectPathKind(folder / "b.jpg"), PathKind::kFile);
  EXPECT_EQ(*DetectPathKind(folder / "b.jpg", /*manifests_only=*/true), PathKind::kManifest);
  EXPECT_EQ(DetectPathKind(tmp.path() / "missing").status().code(), StatusCode::kNotFound);

  auto source = OpenSources({folder, zip, manifest});
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  EXPECT_EQ((*source)->size(), 5);
  auto items = Drain(**source);
  ASSERT_EQ(items.size(), 5u);
  const std::string abs = fs::absolute(tmp.path()).lexically_normal().string();
  EXPECT_EQ(items[0].location, abs + "/folder/b.jpg");
  EXPECT_EQ(items[0].file, folder / "b.jpg");
  EXPECT_EQ(items[1].location, abs + "/folder/sub/a.jpg");
  EXPECT_EQ(items[2].location, abs + "/photos.bin!/in/zip.jpg");
  EXPECT_TRUE(items[2].file.empty());
  EXPECT_EQ(std::string(items[2].bytes.begin(), items[2].bytes.end()), "z");
  EXPECT_EQ(items[3].location, "Box 7");
  EXPECT_EQ(items[3].file, (fs::absolute(folder) / "b.jpg").lexically_normal());
  EXPECT_EQ(items[3].retain_until, "2031-01-01");
  EXPECT_EQ(items[4].status.code(), StatusCode::kNotFound);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(items[i].status.ok()) << items[i].status.ToString();
}

TEST(SourcesTest, UnreadableArchiveIsOneErrorItemAndBadManifestIsFatal) {
  TempDir tmp;
  const fs::path fake = tmp.path() / "fake.tar.gz";
  std::ofstream(fake, std::ios::binary) << std::string("\x1f\x8b\x08\x00not gzip at all", 19);
  auto source = OpenSources({fake});
  ASSERT_TRUE(source.ok());
  auto items = Drain(**source);
  ASSERT_GE(items.size(), 1u);
  EXPECT_FALSE(items.back().status.ok());
  EXPECT_EQ((*source)->size(), static_cast<int64_t>(items.size()));

  const fs::path bad = tmp.path() / "bad.manifest";
  std::ofstream(bad) << "path,colour\nx.jpg,red\n";
  EXPECT_EQ(OpenSources({bad}).status().code(), StatusCode::kInvalidArgument);
}

TEST(SourcesTest, StoredArchiveLocationsReadBack) {
  TempDir tmp;
  const fs::path dir = tmp.path() / "odd!/dir";  // a "!/" in a folder name is not the separator
  fs::create_directories(dir);
  const fs::path zip = dir / "a.zip";
  ASSERT_TRUE(likeness::testing::WriteArchive(
      zip, ArchiveType::kZip,
      {{.name = "x/1.jpg", .bytes = "one"}, {.name = "../2.jpg", .bytes = "two"}}));
  const std::string location = ArchiveEntryLocation(zip, "../2.jpg");
  fs::path archive;
  std::string entry;
  ASSERT_TRUE(SplitArchiveLocation(location, &archive, &entry));
  EXPECT_EQ(archive, fs::absolute(zip).lexically_normal());
  EXPECT_EQ(entry, "../2.jpg");
  auto bytes = ReadArchiveEntry(archive, entry);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_EQ(std::string(bytes->begin(), bytes->end()), "two");
  EXPECT_EQ(ReadArchiveEntry(archive, "x/none.jpg").status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(SplitArchiveLocation((dir / "plain.jpg").string(), &archive, &entry));
  EXPECT_FALSE(SplitArchiveLocation("Box 7, folder 2", &archive, &entry));
}

}  // namespace
}  // namespace likeness::sources
