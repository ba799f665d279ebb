// ArchiveReader against real archives written by libarchive, hostile ones included.
#include "sources/archive_reader.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <random>

#include "testing/archive_builder.h"
#include "testing/test_env.h"

namespace likeness::sources {
namespace {
namespace fs = std::filesystem;
using likeness::testing::ArchiveMember;
using likeness::testing::ArchiveType;
using likeness::testing::TempDir;
using likeness::testing::WriteArchive;

std::string Bytes(const std::vector<uint8_t>& v) { return std::string(v.begin(), v.end()); }

std::string Noise(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

std::vector<ArchiveEntry> ReadAllEntries(const fs::path& path, const ArchiveLimits& limits = {}) {
  auto reader = ArchiveReader::Open(path, limits);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  std::vector<ArchiveEntry> out;
  if (!reader.ok()) return out;
  ArchiveEntry e;
  while ((*reader)->Next(&e)) out.push_back(std::move(e));
  return out;
}

TEST(ArchiveReaderTest, ReadsZipEntriesIntoMemoryAndTraversalNamesStayNames) {
  TempDir tmp;
  const fs::path inner = tmp.path() / "inner";
  fs::create_directories(inner);
  const fs::path zip = inner / "a.zip";
  ASSERT_TRUE(WriteArchive(zip, ArchiveType::kZip,
                           {{.name = "photos/one.jpg", .bytes = "first"},
                            {.name = "../evil.jpg", .bytes = "second"},
                            {.name = "/abs/evil2.jpg", .bytes = "third"},
                            {.name = "notes.txt", .bytes = "plain text"}}));
  EXPECT_TRUE(IsArchiveFile(zip));
  auto entries = ReadAllEntries(zip);
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0].name, "photos/one.jpg");
  EXPECT_EQ(Bytes(entries[0].bytes), "first");
  EXPECT_EQ(entries[1].name, "../evil.jpg");
  EXPECT_EQ(Bytes(entries[1].bytes), "second");
  EXPECT_EQ(entries[2].name, "/abs/evil2.jpg");
  EXPECT_EQ(entries[3].name, "notes.txt");
  for (const auto& e : entries) EXPECT_TRUE(e.status.ok()) << e.name << e.status.ToString();
  // Nothing was written anywhere: the folder holds only the archive, its parent only the folder.
  EXPECT_EQ(std::distance(fs::directory_iterator(inner), fs::directory_iterator{}), 1);
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp.path()), fs::directory_iterator{}), 1);
  EXPECT_FALSE(fs::exists("/abs/evil2.jpg"));
  EXPECT_EQ(*ArchiveReader::CountEntries(zip), 4);
}

TEST(ArchiveReaderTest, ReadsTarGzTarXzTarBz2And7z) {
  TempDir tmp;
  for (auto [type, name] :
       {std::pair{ArchiveType::kTarGz, "a.tar.gz"}, std::pair{ArchiveType::kTarXz, "a.tar.xz"},
        std::pair{ArchiveType::kTar, "a.tar"}, std::pair{ArchiveType::kTarBz2, "a.tar.bz2"},
        std::pair{ArchiveType::kSevenZip, "a.7z"}}) {
    const fs::path p = tmp.path() / name;
    ASSERT_TRUE(WriteArchive(
        p, type,
        {{.name = "x/1.jpg", .bytes = "one"}, {.name = "x/2.jpg", .bytes = Noise(300000, 1)}}));
    EXPECT_TRUE(IsArchiveFile(p)) << name;
    auto entries = ReadAllEntries(p);
    ASSERT_EQ(entries.size(), 2u) << name;
    EXPECT_EQ(Bytes(entries[0].bytes), "one") << name;
    EXPECT_EQ(Bytes(entries[1].bytes), Noise(300000, 1)) << name;
    EXPECT_EQ(*ArchiveReader::CountEntries(p), 2) << name;
  }
}

TEST(ArchiveReaderTest, DeclaredBombIsRefusedWithoutInflating) {
  TempDir tmp;
  const fs::path zip = tmp.path() / "bomb.zip";
  ASSERT_TRUE(WriteArchive(
      zip, ArchiveType::kZip,
      {{.name = "bomb.jpg", .zeros = 200ull << 20}, {.name = "after.jpg", .bytes = "still read"}}));
  EXPECT_LT(fs::file_size(zip), 1u << 20);  // 200 MiB of zeros deflate to well under 1 MiB
  auto entries = ReadAllEntries(zip);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].status.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(entries[0].status.message().find("declares"), std::string::npos);
  EXPECT_TRUE(entries[0].bytes.empty());
  EXPECT_EQ(Bytes(entries[1].bytes), "still read");
}

// Rewrites the uncompressed size a zip declares for its first entry (local and central headers).
void LieAboutSize(const fs::path& zip, uint32_t size) {
  std::string bytes = likeness::testing::ReadAll(zip);
  auto patch = [&](const char* sig, size_t offset) {
    const size_t at = bytes.find(std::string(sig, 4));
    ASSERT_NE(at, std::string::npos);
    std::memcpy(bytes.data() + at + offset, &size, 4);  // little-endian host
  };
  patch("PK\x03\x04", 22);
  patch("PK\x01\x02", 24);
  std::ofstream(zip, std::ios::binary | std::ios::trunc) << bytes;
}

TEST(ArchiveReaderTest, BombThatLiesAboutItsSizeStopsAtTheCap) {
  TempDir tmp;
  const fs::path zip = tmp.path() / "liar.zip";
  ASSERT_TRUE(WriteArchive(zip, ArchiveType::kZip, {{.name = "bomb.jpg", .zeros = 200ull << 20}}));
  LieAboutSize(zip, 1000);
  ArchiveLimits limits;
  limits.max_entry_bytes = 8 << 20;
  auto entries = ReadAllEntries(zip, limits);
  ASSERT_GE(entries.size(), 1u);
  EXPECT_FALSE(entries[0].status.ok());
  EXPECT_TRUE(entries[0].bytes.empty());
}

TEST(ArchiveReaderTest, TarGzBombStopsAtTheCap) {
  TempDir tmp;
  const fs::path tgz = tmp.path() / "bomb.tar.gz";
  ASSERT_TRUE(WriteArchive(
      tgz, ArchiveType::kTarGz,
      {{.name = "bomb.jpg", .zeros = 200ull << 20}, {.name = "after.jpg", .bytes = "kept"}}));
  auto entries = ReadAllEntries(tgz);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].status.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(Bytes(entries[1].bytes), "kept");
}

TEST(ArchiveReaderTest, TruncatedArchiveKeepsEntriesBeforeTheDamage) {
  TempDir tmp;
  for (auto [type, name] :
       {std::pair{ArchiveType::kTarGz, "t.tar.gz"}, std::pair{ArchiveType::kZip, "t.zip"}}) {
    const fs::path p = tmp.path() / name;
    std::vector<ArchiveMember> members;
    for (int i = 0; i < 10; ++i) {
      members.push_back({.name = "n" + std::to_string(i) + ".jpg",
                         .bytes = Noise(100000, static_cast<uint32_t>(i))});
    }
    ASSERT_TRUE(WriteArchive(p, type, members));
    likeness::testing::TruncateFile(p, 0.55);
    auto entries = ReadAllEntries(p);
    ASSERT_GE(entries.size(), 2u) << name;
    size_t good = 0;
    while (good < entries.size() && entries[good].status.ok()) {
      EXPECT_EQ(Bytes(entries[good].bytes), members[good].bytes) << name;
      ++good;
    }
    EXPECT_GE(good, 4u) << name;
    EXPECT_LT(good, 10u) << name;
    ASSERT_EQ(entries.size(), good + 1) << name << ": one error entry ends the read";
    EXPECT_FALSE(entries.back().status.ok()) << name;
    auto count = ArchiveReader::CountEntries(p);
    ASSERT_TRUE(count.ok()) << name;
    EXPECT_GE(*count, static_cast<int64_t>(good)) << name;
  }
}

TEST(ArchiveReaderTest, NestedArchivesLinksAndHiddenEntriesAreNotFollowed) {
  TempDir tmp;
  const fs::path nested = tmp.path() / "nested.zip";
  ASSERT_TRUE(WriteArchive(nested, ArchiveType::kZip, {{.name = "x.jpg", .bytes = "x"}}));
  const fs::path outer = tmp.path() / "outer.tar";
  ASSERT_TRUE(WriteArchive(outer, ArchiveType::kTar,
                           {{.name = "inner.zip", .bytes = likeness::testing::ReadAll(nested)},
                            {.name = "link.jpg", .symlink_target = "/etc/passwd"},
                            {.name = "__MACOSX/._x.jpg", .bytes = "resource fork"},
                            {.name = "ok.jpg", .bytes = "fine"}}));
  auto entries = ReadAllEntries(outer);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].name, "inner.zip");
  EXPECT_EQ(entries[0].status.code(), StatusCode::kUnsupported);
  EXPECT_NE(entries[0].status.message().find("nested archive"), std::string::npos);
  EXPECT_EQ(entries[1].name, "link.jpg");
  EXPECT_EQ(entries[1].status.code(), StatusCode::kUnsupported);
  EXPECT_NE(entries[1].status.message().find("symbolic link"), std::string::npos);
  EXPECT_EQ(Bytes(entries[2].bytes), "fine");
  EXPECT_EQ(*ArchiveReader::CountEntries(outer), 3);
}

TEST(ArchiveReaderTest, EntryCapStopsTheRead) {
  TempDir tmp;
  const fs::path zip = tmp.path() / "many.zip";
  std::vector<ArchiveMember> members;
  for (int i = 0; i < 6; ++i) members.push_back({.name = std::to_string(i), .bytes = "b"});
  ASSERT_TRUE(WriteArchive(zip, ArchiveType::kZip, members));
  ArchiveLimits limits;
  limits.max_entries = 3;
  auto entries = ReadAllEntries(zip, limits);
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_TRUE(entries[2].status.ok());
  EXPECT_EQ(entries[3].status.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(*ArchiveReader::CountEntries(zip, limits), 4);
}

TEST(ArchiveReaderTest, NotAnArchive) {
  TempDir tmp;
  const fs::path text = tmp.path() / "fake.zip";
  std::ofstream(text) << "just text, named like a zip";
  EXPECT_FALSE(IsArchiveFile(text));
  const fs::path gz_text = tmp.path() / "x.gz";
  std::ofstream(gz_text, std::ios::binary) << std::string("\x1f\x8b\x08\x00garbage", 12);
  EXPECT_TRUE(IsArchiveFile(gz_text));  // by magic
  auto r = ArchiveReader::Open(gz_text);
  if (r.ok()) {  // the gzip filter may accept the header; the read must then fail cleanly
    ArchiveEntry e;
    ASSERT_TRUE((*r)->Next(&e));
    EXPECT_FALSE(e.status.ok());
    EXPECT_FALSE((*r)->Next(&e));
  } else {
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(ArchiveReader::Open(tmp.path() / "missing.zip").status().code(), StatusCode::kNotFound);
  const uint8_t jpeg[] = {0xFF, 0xD8, 0xFF, 0xE0};
  EXPECT_FALSE(LooksLikeArchive(jpeg));
}

}  // namespace
}  // namespace likeness::sources
