// Opening the catalog: file creation, pragmas, schema versions, migrations and foreign files.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <regex>
#include <string>

#include "catalog/catalog.h"
#include "catalog/migrations.h"
#include "catalog/schema.h"
#include "catalog/sqlite_db.h"
#include "catalog_test_util.h"
#include "testing/test_env.h"

namespace likeness::catalog {
namespace {

namespace fs = std::filesystem;
using ::likeness::testing::TempDir;
using testing::RawInt;
using testing::RawOpen;
using testing::RawText;

std::string ReadBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void WriteBytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

TEST(CatalogOpenTest, FreshDatabaseGetsLatestSchemaInNewFolder) {
  TempDir dir;
  const fs::path path = dir.path() / "nested" / "folder" / "catalog.db";
  auto catalog = Catalog::Open(path);
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  EXPECT_TRUE(fs::exists(path));
  EXPECT_GE(LatestSchemaVersion(), 1);
  EXPECT_EQ((*catalog)->SchemaVersion(), LatestSchemaVersion());

  auto raw = RawOpen(path);
  EXPECT_EQ(RawInt(*raw, "SELECT COUNT(*) FROM schema_migrations"), LatestSchemaVersion());
  EXPECT_EQ(RawInt(*raw, "SELECT MAX(version) FROM schema_migrations"), LatestSchemaVersion());
  const std::string applied_at = RawText(*raw, "SELECT applied_at FROM schema_migrations");
  EXPECT_TRUE(std::regex_match(applied_at, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")))
      << applied_at;
  for (const char* table : {"sources", "batches", "images", "faces", "ingest_errors", "meta"}) {
    EXPECT_EQ(RawInt(*raw, std::string("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' "
                                       "AND name = '") +
                               table + "'"),
              1)
        << table;
  }
  auto generation = (*catalog)->Generation();
  ASSERT_TRUE(generation.ok());
  EXPECT_EQ(*generation, 0u);
  auto model = (*catalog)->ModelId();
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(*model, "");
}

TEST(CatalogOpenTest, ReopeningAppliesNothingTwice) {
  TempDir dir;
  const fs::path path = dir.path() / "catalog.db";
  { ASSERT_TRUE(Catalog::Open(path).ok()); }
  std::string history_before;
  {
    auto raw = RawOpen(path);
    history_before = RawText(
        *raw, "SELECT group_concat(version || '@' || applied_at, ',') FROM schema_migrations");
  }
  for (int i = 0; i < 3; ++i) {
    auto catalog = Catalog::Open(path);
    ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
    EXPECT_EQ((*catalog)->SchemaVersion(), LatestSchemaVersion());
  }
  auto raw = RawOpen(path);
  EXPECT_EQ(
      RawText(*raw,
              "SELECT group_concat(version || '@' || applied_at, ',') FROM schema_migrations"),
      history_before);
  EXPECT_EQ(RawInt(*raw, "SELECT COUNT(*) FROM meta WHERE key = 'generation'"), 1);

  // The runner itself reports that nothing was pending.
  auto applied = ApplyMigrations(*raw, CatalogMigrations());
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(*applied, 0);
}

TEST(CatalogOpenTest, MigratesVersionZeroDatabases) {
  TempDir dir;
  // v0 as an empty file (what SQLite leaves after a bare open) ...
  const fs::path empty_file = dir.path() / "empty.db";
  WriteBytes(empty_file, "");
  // ... and as a database whose migrations table exists but records nothing.
  const fs::path empty_history = dir.path() / "v0.db";
  {
    auto raw = RawOpen(empty_history);
    ASSERT_TRUE(raw->Exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
                          "applied_at TEXT NOT NULL)")
                    .ok());
    auto version = ReadSchemaVersion(*raw);
    ASSERT_TRUE(version.ok());
    EXPECT_EQ(*version, 0);
  }
  for (const fs::path& path : {empty_file, empty_history}) {
    auto catalog = Catalog::Open(path);
    ASSERT_TRUE(catalog.ok()) << path << ": " << catalog.status().ToString();
    EXPECT_EQ((*catalog)->SchemaVersion(), LatestSchemaVersion());
    auto source = (*catalog)->CreateSource(testing::MakeSource("after-migration"));
    EXPECT_TRUE(source.ok()) << source.status().ToString();
  }
}

TEST(CatalogOpenTest, NewerSchemaIsRefusedWithoutWriting) {
  TempDir dir;
  const fs::path path = dir.path() / "catalog.db";
  { ASSERT_TRUE(Catalog::Open(path).ok()); }
  const int future = LatestSchemaVersion() + 1;
  {
    auto raw = RawOpen(path);
    ASSERT_TRUE(raw->Exec("INSERT INTO schema_migrations VALUES (" + std::to_string(future) +
                          ", '2099-01-01T00:00:00Z')")
                    .ok());
  }
  auto catalog = Catalog::Open(path);
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().code(), StatusCode::kFailedPrecondition)
      << catalog.status().ToString();
  EXPECT_NE(catalog.status().message().find("newer"), std::string::npos);
  auto raw = RawOpen(path);
  EXPECT_EQ(RawInt(*raw, "SELECT MAX(version) FROM schema_migrations"), future);
}

TEST(CatalogOpenTest, GarbageFileIsCorruptionAndLeftUntouched) {
  TempDir dir;
  std::string long_garbage;
  for (int i = 0; i < 8192; ++i) long_garbage += static_cast<char>((i * 37 + 11) % 251);
  const std::string cases[] = {"hello, I am not a database\n", long_garbage,
                               "\x89PNG\r\n\x1a\n" + std::string(200, 'x')};
  int n = 0;
  for (const std::string& bytes : cases) {
    const fs::path path = dir.path() / ("garbage" + std::to_string(n++) + ".db");
    WriteBytes(path, bytes);
    auto catalog = Catalog::Open(path);
    ASSERT_FALSE(catalog.ok()) << "case " << n;
    EXPECT_EQ(catalog.status().code(), StatusCode::kCorruption) << catalog.status().ToString();
    EXPECT_NE(catalog.status().message().find("not a SQLite database"), std::string::npos)
        << catalog.status().message();
    EXPECT_EQ(ReadBytes(path), bytes) << "case " << n;
  }
}

TEST(CatalogOpenTest, OtherApplicationsDatabaseIsRefused) {
  TempDir dir;
  const fs::path path = dir.path() / "other.db";
  {
    auto raw = RawOpen(path);
    ASSERT_TRUE(raw->Exec("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)").ok());
  }
  auto catalog = Catalog::Open(path);
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().code(), StatusCode::kFailedPrecondition)
      << catalog.status().ToString();
  auto raw = RawOpen(path);
  EXPECT_EQ(RawInt(*raw, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"), 1);
}

TEST(CatalogOpenTest, DirectoryPathIsIOError) {
  TempDir dir;
  auto catalog = Catalog::Open(dir.path());
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().code(), StatusCode::kIOError) << catalog.status().ToString();
}

TEST(CatalogOpenTest, UsesWalAndEnforcesForeignKeys) {
  TempDir dir;
  const fs::path path = dir.path() / "catalog.db";
  auto catalog = Catalog::Open(path);
  ASSERT_TRUE(catalog.ok());
  auto raw = RawOpen(path);
  EXPECT_EQ(RawText(*raw, "PRAGMA journal_mode"), "wal");  // persistent in the file header
  EXPECT_TRUE(fs::exists(dir.path() / "catalog.db-wal"));

  // Foreign keys are on for the catalog's connection: an image of an unknown source is refused.
  ImageRecord orphan = testing::MakeImage(/*source_id=*/42, "orphan");
  std::vector<FaceRecord> faces;
  Status s = (*catalog)->AddImageWithFaces(orphan, faces);
  EXPECT_EQ(s.code(), StatusCode::kNotFound) << s.ToString();
  EXPECT_EQ(orphan.id, 0);
}

// ---------------------------------------------------------------------------------------------------
// The migration runner on its own, with made-up schema histories.

constexpr Migration kHistoryV1[] = {
    {1, "people", "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT);"},
};
constexpr Migration kHistoryV3[] = {
    {1, "people", "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT);"},
    {2, "pets", "CREATE TABLE pets (id INTEGER PRIMARY KEY); INSERT INTO pets VALUES (7);"},
    {3, "people.age", "ALTER TABLE people ADD COLUMN age INTEGER;"},
};
constexpr Migration kHistoryBrokenV2[] = {
    {1, "people", "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT);"},
    {2, "half done", "CREATE TABLE half (x); INSERT INTO no_such_table VALUES (1);"},
};
constexpr Migration kHistoryGap[] = {
    {1, "people", "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT);"},
    {3, "skipped two", "CREATE TABLE three (x);"},
};

TEST(MigrationsTest, UpgradesStepByStepFromAnOlderVersion) {
  TempDir dir;
  auto db = RawOpen(dir.path() / "m.db");
  auto applied = ApplyMigrations(*db, kHistoryV1);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(*applied, 1);
  ASSERT_TRUE(db->Exec("INSERT INTO people (name) VALUES ('Ada')").ok());

  applied = ApplyMigrations(*db, kHistoryV3);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(*applied, 2);
  EXPECT_EQ(RawInt(*db, "SELECT COUNT(*) FROM schema_migrations"), 3);
  EXPECT_EQ(RawInt(*db, "SELECT COUNT(*) FROM people WHERE name = 'Ada' AND age IS NULL"), 1);
  EXPECT_EQ(RawInt(*db, "SELECT id FROM pets"), 7);

  applied = ApplyMigrations(*db, kHistoryV3);
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(*applied, 0);
}

TEST(MigrationsTest, FailingMigrationLeavesThePreviousVersion) {
  TempDir dir;
  auto db = RawOpen(dir.path() / "m.db");
  auto applied = ApplyMigrations(*db, kHistoryBrokenV2);
  ASSERT_FALSE(applied.ok());
  EXPECT_NE(applied.status().message().find("migration 2"), std::string::npos)
      << applied.status().ToString();
  auto version = ReadSchemaVersion(*db);
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, 1);
  EXPECT_EQ(RawInt(*db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'half'"), 0);
  EXPECT_TRUE(db->InAutocommit());  // no transaction left open
}

TEST(MigrationsTest, RefusesBadNumberingAndNewerDatabases) {
  TempDir dir;
  auto db = RawOpen(dir.path() / "m.db");
  auto applied = ApplyMigrations(*db, kHistoryGap);
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.status().code(), StatusCode::kInternal);
  EXPECT_EQ(RawInt(*db, "SELECT COUNT(*) FROM sqlite_master"), 0);

  ASSERT_TRUE(ApplyMigrations(*db, kHistoryV3).ok());
  applied = ApplyMigrations(*db, kHistoryV1);
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(RawInt(*db, "SELECT MAX(version) FROM schema_migrations"), 3);
}

}  // namespace
}  // namespace likeness::catalog
