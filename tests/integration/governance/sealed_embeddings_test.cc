// Embeddings are encrypted at rest under each source's data key: catalog.db and its WAL hold no
// plaintext embedding after ingest; a copy of catalog.db taken before a whole source is erased can
// no longer be read for that source (its key is destroyed) while the other source's faces still
// open (also when the old catalog is restored next to the current key store and opened as Likeness
// opens it); reopening the data folder rebuilds an index that finds the faces; and a data folder
// whose catalog was written before encryption (schema 2, plaintext embeddings) is upgraded in
// place: sealed, no plaintext left on disk, every face still found.
#include <cstring>
#include <fstream>
#include <map>

#include "catalog/migrations.h"
#include "catalog/schema.h"
#include "catalog/sqlite_db.h"
#include "engine/search.h"
#include "governance/erasure.h"
#include "governance_fixture.h"
#include "privacy/envelope.h"

namespace likeness::governance {
namespace {

namespace fs = std::filesystem;

class SealedEmbeddingsTest : public GovernanceTest {
 protected:
  std::string CatalogBytes() { return CatalogBytes(engine_->options().data_dir); }
  static std::string CatalogBytes(const fs::path& data_dir) {
    std::string all;
    for (const char* suffix : {"catalog.db", "catalog.db-wal"}) {
      std::ifstream in(data_dir / suffix, std::ios::binary);
      all.append(std::istreambuf_iterator<char>(in), {});
    }
    return all;
  }
};

TEST_F(SealedEmbeddingsTest, CatalogHoldsNoPlaintextEmbedding) {
  const std::string bytes = CatalogBytes();
  for (int64_t id : AllFaces()) {
    const Embedding e = EmbeddingOf(id);
    ASSERT_EQ(e.size(), static_cast<size_t>(kEmbeddingDim));
    EXPECT_FALSE(Contains(bytes, e)) << "face " << id << " is in catalog.db in plaintext";
  }
}

TEST_F(SealedEmbeddingsTest, BackupTakenBeforeSourceErasureNoLongerDecrypts) {
  std::map<int64_t, Embedding> before;
  for (int64_t id : AllFaces()) before[id] = EmbeddingOf(id);
  // A backup as an operator would take it: a consistent copy via SQLite's VACUUM INTO.
  const fs::path backup = dir_.path() / "backup-catalog.db";
  {
    auto db = catalog::sqlite::Db::Open(engine_->options().data_dir / "catalog.db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE((*db)->Exec("VACUUM INTO '" + backup.string() + "'").ok());
  }
  auto plan = PlanErasure(*gov_, {EraseKind::kSource, fr_.name, {}});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  auto receipt = ExecuteErasure(*gov_, *plan, Why());
  ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
  EXPECT_TRUE(receipt->json["data_key_destroyed"].get<bool>());

  auto db = catalog::sqlite::Db::Open(backup);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto query = (*db)->Prepare(
      "SELECT f.id, i.source_id, f.embedding_sealed FROM faces f JOIN images i ON i.id = "
      "f.image_id ORDER BY f.id");
  ASSERT_TRUE(query.ok()) << query.status().ToString();
  const std::span<const uint8_t> ad(
      reinterpret_cast<const uint8_t*>(engine::kEmbeddingSealAd.data()),
      engine::kEmbeddingSealAd.size());
  int fr_rows = 0, de_rows = 0;
  for (;;) {
    auto row = query->Step();
    ASSERT_TRUE(row.ok()) << row.status().ToString();
    if (!*row) break;
    const int64_t id = query->ColumnInt64(0);
    const int64_t source = query->ColumnInt64(1);
    ASSERT_FALSE(query->ColumnIsNull(2)) << "face " << id << " is not sealed in the backup";
    const auto blob = query->ColumnBlob(2);
    auto opened =
        privacy::EnvelopeDecrypt(gov_->keys(), "source:" + std::to_string(source),
                                 {reinterpret_cast<const uint8_t*>(blob.data()), blob.size()}, ad);
    if (source == fr_.id) {
      ++fr_rows;
      EXPECT_EQ(opened.status().code(), StatusCode::kNotFound) << "erased face " << id;
    } else {
      ++de_rows;
      ASSERT_TRUE(opened.ok()) << "face " << id << ": " << opened.status().ToString();
      ASSERT_EQ(opened->size(), kEmbeddingDim * sizeof(float));
      Embedding e(kEmbeddingDim);
      std::memcpy(e.data(), opened->data(), opened->size());
      EXPECT_EQ(e, before[id]) << "face " << id;
    }
  }
  EXPECT_GT(fr_rows, 0);
  EXPECT_GT(de_rows, 0);

  // The backup restored with the folder's instance id, so it finds the live key folder (keys live
  // outside the data folder), opened as every command opens a catalog.
  const fs::path restored = dir_.path() / "restored";
  fs::create_directories(restored);
  fs::copy_file(backup, restored / "catalog.db");
  fs::copy_file(engine_->options().data_dir / "instance.id", restored / "instance.id");
  gov_.reset();
  engine_.reset();  // one process, one key store: the restored one must not share its cache
  auto opened = engine::OpenSealedCatalog(restored);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::map<int64_t, Embedding> walked;
  ASSERT_TRUE(opened->catalog
                  ->ForEachEmbedding([&](int64_t id, bool, std::span<const float> e) {
                    walked[id] = Embedding(e.begin(), e.end());
                    return true;
                  })
                  .ok());
  int erased = 0;
  for (const auto& [id, embedding] : before) {
    auto face = opened->catalog->GetFace(id, true);
    if (walked.count(id) == 0) {
      ++erased;
      EXPECT_EQ(face.status().code(), StatusCode::kNotFound) << "face " << id;
    } else {
      ASSERT_TRUE(face.ok()) << face.status().ToString();
      EXPECT_EQ(face->embedding, embedding) << "face " << id;
      EXPECT_EQ(walked[id], embedding) << "face " << id;
    }
  }
  EXPECT_EQ(erased, fr_rows);
  EXPECT_EQ(static_cast<int>(walked.size()), de_rows);
}

TEST_F(SealedEmbeddingsTest, PlaintextCatalogIsSealedOnOpenAndStillSearchable) {
  std::map<int64_t, Embedding> held;
  for (int64_t id : AllFaces()) held[id] = EmbeddingOf(id);
  const engine::EngineOptions options = engine_->options();
  gov_.reset();
  engine_.reset();
  {  // Rewrite catalog.db as the schema-2 build left it: plaintext embeddings, no sealed column.
    auto db = catalog::sqlite::Db::Open(options.data_dir / "catalog.db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto update = (*db)->Prepare("UPDATE faces SET embedding = ? WHERE id = ?");
    ASSERT_TRUE(update.ok());
    for (const auto& [id, e] : held) {
      ASSERT_TRUE(update->Reset().ok());
      ASSERT_TRUE(update
                      ->BindBlob(1, {reinterpret_cast<const std::byte*>(e.data()),
                                     e.size() * sizeof(float)})
                      .ok());
      ASSERT_TRUE(update->BindInt64(2, id).ok());
      ASSERT_TRUE(update->Run().ok());
    }
    for (const char* sql :
         {"ALTER TABLE faces DROP COLUMN embedding_sealed",
          // and the later versions' columns: a catalog as the schema-2 build left it
          "ALTER TABLE sources DROP COLUMN public_description",
          "ALTER TABLE images DROP COLUMN duration_s",
          "ALTER TABLE faces DROP COLUMN time_offset_s", "ALTER TABLE faces DROP COLUMN track_id",
          "ALTER TABLE faces DROP COLUMN track_first_s",
          "ALTER TABLE faces DROP COLUMN track_last_s",
          "DELETE FROM schema_migrations WHERE version >= 3", "PRAGMA wal_checkpoint(TRUNCATE)"}) {
      ASSERT_TRUE((*db)->Exec(sql).ok()) << sql;
    }
    auto version = catalog::ReadSchemaVersion(**db);
    ASSERT_TRUE(version.ok());
    ASSERT_EQ(*version, 2);
  }
  EXPECT_TRUE(Contains(CatalogBytes(options.data_dir), held.begin()->second));  // scan sees it
  fs::remove(options.data_dir / "index" / "faces.lkidx");

  auto e = engine::Engine::Open(options);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  engine_ = std::move(*e);
  EXPECT_EQ(engine_->catalog().SchemaVersion(),
            static_cast<int>(catalog::CatalogMigrations().size()));
  const std::string bytes = CatalogBytes();
  for (const auto& [id, embedding] : held) {
    EXPECT_FALSE(Contains(bytes, embedding)) << "face " << id << " still in plaintext";
    auto face = engine_->catalog().GetFace(id, true);
    ASSERT_TRUE(face.ok()) << face.status().ToString();
    EXPECT_EQ(face->embedding, embedding);
    if (!face->searchable) continue;
    engine::SearchOptions o;
    o.top_k = 5;
    auto hits = engine::SearchEmbedding(*engine_, embedding, o);
    ASSERT_TRUE(hits.ok()) << hits.status().ToString();
    bool found = false;
    for (const auto& m : *hits) found = found || m.face.face.id == id;
    EXPECT_TRUE(found) << "face " << id << " not found after the upgrade";
  }
  auto g = Governance::Open(*engine_, "ingester");
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  gov_ = std::move(*g);
}

TEST_F(SealedEmbeddingsTest, ReopenRebuildsAnIndexThatFindsTheFaces) {
  std::map<int64_t, Embedding> held;
  for (int64_t id : AllFaces()) held[id] = EmbeddingOf(id);
  const engine::EngineOptions options = engine_->options();
  gov_.reset();
  engine_.reset();
  fs::remove(options.data_dir / "index" / "faces.lkidx");  // force a rebuild from the catalog
  auto e = engine::Engine::Open(options);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  engine_ = std::move(*e);
  auto g = Governance::Open(*engine_, "ingester");
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  gov_ = std::move(*g);
  EXPECT_GT(engine_->index().size(), 0);
  for (const auto& [id, embedding] : held) {
    auto face = engine_->catalog().GetFace(id, true);
    ASSERT_TRUE(face.ok()) << face.status().ToString();
    EXPECT_EQ(face->embedding, embedding);
    if (!face->searchable) continue;
    engine::SearchOptions o;
    o.top_k = 5;
    auto hits = engine::SearchEmbedding(*engine_, embedding, o);
    ASSERT_TRUE(hits.ok()) << hits.status().ToString();
    bool found = false;
    for (const auto& m : *hits) found = found || m.face.face.id == id;
    EXPECT_TRUE(found) << "face " << id << " not found after the rebuild";
  }
}

}  // namespace
}  // namespace likeness::governance
