// Persistence: Save/LoadIndex round trips, atomic writes, and every way a file can be damaged.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "common/hash.h"
#include "index/vector_index.h"
#include "index_test_util.h"
#include "testing/test_env.h"

namespace likeness::index {
namespace {

using ::likeness::testing::TempDir;
using testutil::ContainsFloats;
using testutil::MustCreate;
using testutil::RandomUnitVectors;
using testutil::ReadBytes;
using testutil::Row;
using testutil::SparseIds;
using testutil::WriteBytes;

constexpr int kDim = 64;
constexpr size_t kN = 400;
// Offsets in the version-1 layout (see src/index/index_file.h).
constexpr size_t kVersionOffset = 8;
constexpr size_t kDigestSize = 32;

class IndexFileTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    data_ = RandomUnitVectors(kN, kDim, 31);
    ids_ = SparseIds(kN, 32);
    index_ = MustCreate(GetParam(), kDim);
    ASSERT_NE(index_, nullptr);
    ASSERT_TRUE(index_->Add(ids_, data_).ok());
  }

  std::filesystem::path Saved(const std::string& name, uint64_t generation) {
    std::filesystem::path path = dir_.path() / name;
    const Status saved = index_->Save(path, generation);
    EXPECT_TRUE(saved.ok()) << saved.ToString();
    return path;
  }

  TempDir dir_;
  std::vector<float> data_;
  std::vector<int64_t> ids_;
  std::unique_ptr<VectorIndex> index_;
};

TEST_P(IndexFileTest, RoundTripGivesIdenticalResultsAndGeneration) {
  constexpr uint64_t kGeneration = 0x1234'5678'9abc'def0;
  const std::filesystem::path path = Saved("faces.idx", kGeneration);
  auto loaded = LoadIndex(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->generation, kGeneration);
  const VectorIndex& copy = *loaded->index;
  EXPECT_EQ(copy.factory(), index_->factory());
  EXPECT_EQ(copy.dim(), kDim);
  EXPECT_EQ(copy.size(), static_cast<int64_t>(kN));
  for (const int64_t id : ids_) EXPECT_TRUE(copy.Contains(id));

  const std::vector<float> queries = RandomUnitVectors(20, kDim, 33);
  auto before = index_->Search(queries, 10);
  auto after = copy.Search(queries, 10);
  ASSERT_TRUE(before.ok() && after.ok());
  ASSERT_EQ(before->size(), after->size());
  for (size_t q = 0; q < before->size(); ++q) {
    ASSERT_EQ((*before)[q].size(), (*after)[q].size());
    for (size_t i = 0; i < (*before)[q].size(); ++i) {
      EXPECT_EQ((*before)[q][i].id, (*after)[q][i].id);
      EXPECT_EQ((*before)[q][i].score, (*after)[q][i].score);
    }
  }
  // The loaded index is fully usable: it takes adds and removes, and saves again.
  auto removed = loaded->index->Remove(std::span(ids_).first(10));
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 10);
  EXPECT_TRUE(loaded->index->Add(std::span(ids_).first(1), Row(data_, 0, kDim)).ok());
  EXPECT_TRUE(loaded->index->Save(path, kGeneration + 1).ok());
  auto reloaded = LoadIndex(path);
  ASSERT_TRUE(reloaded.ok());
  EXPECT_EQ(reloaded->generation, kGeneration + 1);
  EXPECT_EQ(reloaded->index->size(), static_cast<int64_t>(kN - 9));
}

TEST_P(IndexFileTest, RemovedVectorBytesAreGoneFromTheSavedFile) {
  const std::vector<char> before = ReadBytes(Saved("before.idx", 1));
  // The scan works: stored vectors appear verbatim in the file.
  ASSERT_TRUE(ContainsFloats(before, Row(data_, 7, kDim)));
  ASSERT_TRUE(ContainsFloats(before, Row(data_, kN - 1, kDim)));

  // Remove one from the middle and the last one (whose bytes a compaction leaves past the end).
  const std::vector<int64_t> gone = {ids_[7], ids_[kN - 1]};
  auto removed = index_->Remove(gone);
  ASSERT_TRUE(removed.ok());
  ASSERT_EQ(*removed, 2);
  const std::vector<char> after = ReadBytes(Saved("after.idx", 2));
  EXPECT_FALSE(ContainsFloats(after, Row(data_, 7, kDim)));
  EXPECT_FALSE(ContainsFloats(after, Row(data_, kN - 1, kDim)));
  EXPECT_TRUE(ContainsFloats(after, Row(data_, 8, kDim)));
  EXPECT_TRUE(ContainsFloats(after, Row(data_, kN - 2, kDim)));
}

TEST_P(IndexFileTest, TruncatedFileIsCorruption) {
  const std::filesystem::path path = Saved("faces.idx", 1);
  const std::vector<char> bytes = ReadBytes(path);
  for (const size_t keep : {size_t{0}, size_t{7}, size_t{30}, size_t{63}, bytes.size() / 2,
                            bytes.size() - kDigestSize, bytes.size() - 1}) {
    WriteBytes(path,
               std::vector<char>(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(keep)));
    const auto loaded = LoadIndex(path);
    EXPECT_EQ(loaded.status().code(), StatusCode::kCorruption)
        << keep << " bytes: " << loaded.status().ToString();
  }
}

TEST_P(IndexFileTest, FlippedByteIsCorruption) {
  const std::filesystem::path path = Saved("faces.idx", 1);
  const std::vector<char> bytes = ReadBytes(path);
  // magic, version, generation, factory, payload start, middle, payload length, checksum.
  for (const size_t at : {size_t{0}, kVersionOffset, size_t{12}, size_t{24}, size_t{40},
                          bytes.size() / 2, bytes.size() - kDigestSize - 3, bytes.size() - 1}) {
    std::vector<char> altered = bytes;
    altered[at] = static_cast<char>(altered[at] ^ 0x10);
    WriteBytes(path, altered);
    const auto loaded = LoadIndex(path);
    EXPECT_EQ(loaded.status().code(), StatusCode::kCorruption)
        << "byte " << at << ": " << loaded.status().ToString();
  }
}

TEST_P(IndexFileTest, WrongMagicIsCorruption) {
  const std::filesystem::path path = Saved("faces.idx", 1);
  std::vector<char> bytes = ReadBytes(path);
  std::memcpy(bytes.data(), "FAISSIDX", 8);
  WriteBytes(path, bytes);
  const auto loaded = LoadIndex(path);
  EXPECT_EQ(loaded.status().code(), StatusCode::kCorruption);
  EXPECT_NE(loaded.status().message().find("magic"), std::string::npos)
      << loaded.status().ToString();
}

// A file whose checksum is right but whose contents are not ours: re-sealed after editing.
std::vector<char> Reseal(std::vector<char> bytes) {
  const size_t body = bytes.size() - kDigestSize;
  const Sha256Digest digest =
      Sha256(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), body));
  std::memcpy(bytes.data() + body, digest.data(), digest.size());
  return bytes;
}

TEST_P(IndexFileTest, LaterFormatVersionIsUnsupported) {
  const std::filesystem::path path = Saved("faces.idx", 1);
  std::vector<char> bytes = ReadBytes(path);
  bytes[kVersionOffset] = 2;
  WriteBytes(path, Reseal(bytes));
  EXPECT_EQ(LoadIndex(path).status().code(), StatusCode::kUnsupported);
}

TEST_P(IndexFileTest, GarbagePayloadUnderAValidChecksumIsCorruption) {
  const std::filesystem::path path = Saved("faces.idx", 1);
  const std::vector<char> bytes = ReadBytes(path);
  const size_t factory_size = std::string(GetParam()).size();
  const size_t payload_start = 24 + factory_size;
  // Payload type tag, and a field inside the payload.
  for (const size_t at : {payload_start, payload_start + 4}) {
    std::vector<char> altered = bytes;
    altered[at] = static_cast<char>(altered[at] ^ 0x5a);
    WriteBytes(path, Reseal(altered));
    const auto loaded = LoadIndex(path);
    EXPECT_EQ(loaded.status().code(), StatusCode::kCorruption)
        << "byte " << at << ": " << loaded.status().ToString();
  }
  // A factory string naming another index type than the payload holds.
  std::vector<char> swapped = bytes;
  const std::string other = std::string(GetParam()) == "Flat" ? "PQ16" : "Flat";
  ASSERT_LE(other.size(), factory_size);
  if (other.size() == factory_size) {
    std::memcpy(swapped.data() + 24, other.data(), other.size());
    WriteBytes(path, Reseal(swapped));
    EXPECT_EQ(LoadIndex(path).status().code(), StatusCode::kCorruption);
  }
}

INSTANTIATE_TEST_SUITE_P(Types, IndexFileTest,
                         ::testing::Values("Flat", "HNSW32,Flat", "IVF8,Flat"),
                         [](const auto& info) {
                           const std::string name = info.param;
                           return name == "Flat" ? "Flat" : name == "IVF8,Flat" ? "Ivf" : "Hnsw";
                         });

TEST(IndexFile, MissingFileIsNotFound) {
  TempDir dir;
  EXPECT_EQ(LoadIndex(dir.path() / "absent.idx").status().code(), StatusCode::kNotFound);
}

TEST(IndexFile, EmptyFileIsCorruption) {
  TempDir dir;
  WriteBytes(dir.path() / "empty.idx", {});
  EXPECT_EQ(LoadIndex(dir.path() / "empty.idx").status().code(), StatusCode::kCorruption);
}

TEST(IndexFile, SaveReplacesAtomicallyAndLeavesNoTemporaryFiles) {
  TempDir dir;
  auto index = MustCreate("Flat", kDim);
  ASSERT_TRUE(index->Add(SparseIds(10, 34), RandomUnitVectors(10, kDim, 35)).ok());
  const std::filesystem::path path = dir.path() / "faces.idx";
  ASSERT_TRUE(index->Save(path, 1).ok());
  ASSERT_TRUE(index->Save(path, 2).ok());
  auto loaded = LoadIndex(path);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->generation, 2u);
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    names.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"faces.idx"});
  // Embeddings are personal data: owner-only permissions.
  const auto perms = std::filesystem::status(path).permissions();
  EXPECT_EQ(perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
            std::filesystem::perms::none);
}

TEST(IndexFile, SaveIntoMissingFolderIsIOError) {
  TempDir dir;
  auto index = MustCreate("Flat", kDim);
  EXPECT_EQ(index->Save(dir.path() / "no" / "such" / "faces.idx", 1).code(), StatusCode::kIOError);
}

TEST(IndexFile, EmptyIndexRoundTrips) {
  TempDir dir;
  auto index = MustCreate("HNSW32,Flat", kDim);
  ASSERT_TRUE(index->Save(dir.path() / "empty.idx", 7).ok());
  auto loaded = LoadIndex(dir.path() / "empty.idx");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->generation, 7u);
  EXPECT_EQ(loaded->index->size(), 0);
  EXPECT_EQ(loaded->index->factory(), "HNSW32,Flat");
}

}  // namespace
}  // namespace likeness::index
