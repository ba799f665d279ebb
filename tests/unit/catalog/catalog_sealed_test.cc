// Embeddings encrypted at rest (catalog/embedding_codec.h) with a real key store and envelope
// encryption: no plaintext embedding bytes in catalog.db or its WAL, round trips, sealing of rows
// written without a codec, and crypto-shredding when a source's data key is destroyed.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <map>
#include <string_view>

#include "catalog/embedding_codec.h"
#include "catalog/migrations.h"
#include "catalog/schema.h"
#include "catalog_test_util.h"
#include "privacy/envelope.h"
#include "privacy/key_store.h"
#include "testing/test_env.h"

namespace likeness::catalog::testing {
namespace {

namespace fs = std::filesystem;

class KeyStoreCodec final : public EmbeddingCodec {
 public:
  explicit KeyStoreCodec(privacy::KeyStore& keys) : keys_(keys) {}
  Result<std::vector<uint8_t>> Seal(int64_t source_id, std::span<const uint8_t> plain) override {
    return privacy::EnvelopeEncrypt(keys_, Scope(source_id), plain, {});
  }
  Result<std::vector<uint8_t>> Open(int64_t source_id, std::span<const uint8_t> sealed) override {
    return privacy::EnvelopeDecrypt(keys_, Scope(source_id), sealed, {});
  }
  static std::string Scope(int64_t id) { return "source:" + std::to_string(id); }

 private:
  privacy::KeyStore& keys_;
};

class SealedCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.path() / "catalog.db";
    auto keys = privacy::KeyStore::Open(dir_.path() / "keys.db", privacy::MasterKey::Generate());
    ASSERT_TRUE(keys.ok()) << keys.status().ToString();
    keys_ = std::move(*keys);
    codec_ = std::make_shared<KeyStoreCodec>(*keys_);
  }
  void Open(bool with_codec) {
    catalog_.reset();
    auto c = with_codec ? OpenCatalog(path_, codec_) : Catalog::Open(path_);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    catalog_ = std::move(*c);
  }
  // Adds one image with two faces to `source`; returns the faces (with ids).
  std::vector<FaceRecord> Add(int64_t source, const std::string& hash, float seed) {
    ImageRecord image = MakeImage(source, hash);
    std::vector<FaceRecord> faces = MakeFaces(kModelA, 2, seed);
    Status s = catalog_->AddImageWithFaces(image, faces);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return faces;
  }
  std::string FileBytes() {
    std::string all;
    for (const char* suffix : {"", "-wal"}) {
      std::ifstream in(path_.string() + suffix, std::ios::binary);
      all.append(std::istreambuf_iterator<char>(in), {});
    }
    return all;
  }
  static bool Contains(const std::string& haystack, const Embedding& e) {
    std::string needle(64, '\0');
    std::memcpy(needle.data(), e.data(), needle.size());
    return haystack.find(needle) != std::string::npos;
  }
  std::map<int64_t, Embedding> Walk() {
    std::map<int64_t, Embedding> out;
    Status s = catalog_->ForEachEmbedding([&](int64_t id, bool, std::span<const float> e) {
      out[id] = Embedding(e.begin(), e.end());
      return true;
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  likeness::testing::TempDir dir_;
  fs::path path_;
  std::unique_ptr<privacy::KeyStore> keys_;
  std::shared_ptr<KeyStoreCodec> codec_;
  std::unique_ptr<Catalog> catalog_;
};

TEST_F(SealedCatalogTest, NoPlaintextOnDiskAndRoundTrips) {
  Open(true);
  auto a = catalog_->CreateSource(MakeSource("a"));
  ASSERT_TRUE(a.ok());
  std::vector<FaceRecord> faces = Add(a->id, "h1", 3);
  for (const FaceRecord& f : faces) {
    EXPECT_FALSE(Contains(FileBytes(), f.embedding)) << "face " << f.id << " stored in plaintext";
    auto got = catalog_->GetFace(f.id, true);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->embedding, f.embedding);
  }
  auto of_image = catalog_->GetFacesOfImage(faces[0].image_id, true);
  ASSERT_TRUE(of_image.ok());
  EXPECT_EQ((*of_image)[1].embedding, faces[1].embedding);
  // UpdateEmbedding seals too.
  FaceRecord changed = MakeFace(kModelA, 9);
  ASSERT_TRUE(catalog_->UpdateEmbedding(faces[0].id, kModelA, changed.embedding).ok());
  EXPECT_FALSE(Contains(FileBytes(), changed.embedding));
  auto walked = Walk();
  EXPECT_EQ(walked[faces[0].id], changed.embedding);
  EXPECT_EQ(walked[faces[1].id], faces[1].embedding);
  // Opened without the codec, sealed embeddings are refused, the rest of the face is readable.
  Open(false);
  EXPECT_EQ(catalog_->GetFace(faces[1].id, true).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(catalog_->GetFace(faces[1].id, false).ok());
}

TEST_F(SealedCatalogTest, PlaintextRowsAreSealedWhenOpenedWithACodec) {
  Open(false);
  auto a = catalog_->CreateSource(MakeSource("a"));
  ASSERT_TRUE(a.ok());
  std::vector<FaceRecord> faces = Add(a->id, "h1", 4);
  EXPECT_TRUE(Contains(FileBytes(), faces[0].embedding));  // the scan can see plaintext
  Open(true);
  for (const FaceRecord& f : faces) EXPECT_FALSE(Contains(FileBytes(), f.embedding)) << f.id;
  auto walked = Walk();
  EXPECT_EQ(walked[faces[0].id], faces[0].embedding);
  EXPECT_EQ(walked[faces[1].id], faces[1].embedding);
  EXPECT_TRUE(catalog_->CheckIntegrity().ok());
}

TEST_F(SealedCatalogTest, DestroyedSourceKeyShredsItsEmbeddingsAlsoInOldCopies) {
  Open(true);
  auto a = catalog_->CreateSource(MakeSource("a"));
  auto b = catalog_->CreateSource(MakeSource("b"));
  ASSERT_TRUE(a.ok() && b.ok());
  std::vector<FaceRecord> fa = Add(a->id, "ha", 5);
  std::vector<FaceRecord> fb = Add(b->id, "hb", 6);
  catalog_.reset();  // closes cleanly: the copy below is the whole database
  const fs::path copy = dir_.path() / "backup.db";
  fs::copy_file(path_, copy);
  ASSERT_TRUE(keys_->DestroyDataKey(KeyStoreCodec::Scope(a->id)).ok());

  path_ = copy;
  Open(true);
  auto walked = Walk();
  EXPECT_EQ(walked.count(fa[0].id), 0u);
  EXPECT_EQ(walked.count(fa[1].id), 0u);
  EXPECT_EQ(walked[fb[0].id], fb[0].embedding);
  EXPECT_EQ(walked[fb[1].id], fb[1].embedding);
  EXPECT_EQ(catalog_->GetFace(fa[0].id, true).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(catalog_->GetFace(fa[0].id, false).ok());
  EXPECT_TRUE(catalog_->GetFace(fb[0].id, true).ok());
}

TEST_F(SealedCatalogTest, PlaintextCatalogIsMigratedAndSealed) {
  Open(false);
  auto a = catalog_->CreateSource(MakeSource("a"));
  ASSERT_TRUE(a.ok());
  std::vector<FaceRecord> faces = Add(a->id, "h1", 7);
  catalog_.reset();
  {  // as the schema-2 build left it: none of the columns of versions 3 and later
    auto db = sqlite::Db::Open(path_);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    for (const char* drop :
         {"ALTER TABLE faces DROP COLUMN embedding_sealed",
          "ALTER TABLE sources DROP COLUMN public_description",
          "ALTER TABLE images DROP COLUMN duration_s",
          "ALTER TABLE faces DROP COLUMN time_offset_s", "ALTER TABLE faces DROP COLUMN track_id",
          "ALTER TABLE faces DROP COLUMN track_first_s",
          "ALTER TABLE faces DROP COLUMN track_last_s"}) {
      ASSERT_TRUE((*db)->Exec(drop).ok()) << drop;
    }
    ASSERT_TRUE((*db)->Exec("DELETE FROM schema_migrations WHERE version >= 3").ok());
    ASSERT_TRUE((*db)->Exec("PRAGMA wal_checkpoint(TRUNCATE)").ok());
    auto version = ReadSchemaVersion(**db);
    ASSERT_TRUE(version.ok());
    ASSERT_EQ(*version, 2);
  }
  EXPECT_TRUE(Contains(FileBytes(), faces[0].embedding));
  Open(true);
  EXPECT_EQ(catalog_->SchemaVersion(), static_cast<int>(CatalogMigrations().size()));
  for (const FaceRecord& f : faces) EXPECT_FALSE(Contains(FileBytes(), f.embedding)) << f.id;
  auto walked = Walk();
  EXPECT_EQ(walked[faces[0].id], faces[0].embedding);
  EXPECT_EQ(walked[faces[1].id], faces[1].embedding);
  // Written sealed: opened without the codec, the embedding is refused.
  Open(false);
  EXPECT_EQ(catalog_->GetFace(faces[0].id, true).status().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace likeness::catalog::testing
