// Attack on "erased people do not come back" (issue 12, finding 1), through the CLI as an operator
// would run it: erase a source, a subject or a photo, then run the same ingest again - the same
// folder, the same photos in an archive, in a manifest, under another source name. Nothing may be
// stored again, the summary must say "previously erased", search must find nothing, and the
// batch's audit record must count them. Only `likeness erase lift` (reason and case required,
// audited) lets one photo back in. The list that makes erasure stick must identify nobody by
// itself: it holds keyed hashes, not the photos' SHA-256.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/hash.h"
#include "testing/archive_builder.h"
#include "testing/cli_runner.h"
#include "testing/test_env.h"

namespace likeness {
namespace {
namespace fs = std::filesystem;

class ErasureSticksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(likeness::testing::ModelDir()) << "models missing: run scripts/setup";
    ASSERT_TRUE(likeness::testing::DemoPhotoDir()) << "demo photos missing: run scripts/setup";
    unsetenv("LIKENESS_MASTER_KEY");
    setenv("LIKENESS_OPERATOR", "dpo", 1);
    data_ = tmp_.path() / "data";
    photos_ = tmp_.path() / "photos";
    fs::create_directories(photos_);
    for (int i = 1; i <= 3; ++i) {
      const std::string name = "sample" + std::to_string(i) + ".jpg";
      fs::copy_file(*likeness::testing::DemoPhotoDir() / name, photos_ / name);
    }
    ASSERT_EQ(Ingest(photos_.string(), "press")["images"], 3);
  }
  likeness::testing::CliResult L(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data", data_.string(), "-q"});
    return likeness::testing::RunProgram(LIKENESS_CLI, args, tmp_.path());
  }
  nlohmann::json Json(const likeness::testing::CliResult& r) {
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
    return j;
  }
  nlohmann::json Ingest(const std::string& path, const std::string& source) {
    auto r = L({"ingest", path, "--source", source, "--basis", "art6-1-e,art9-2-g",
                "--jurisdiction", "FR", "--jobs", "1", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Json(r);
  }
  // The search decision for the largest face of `photo`.
  std::string Decision(const fs::path& photo) {
    auto r = L({"search", photo.string(), "--purpose", "check", "--basis", "art6-1-e", "--case",
                "C-1", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto j = Json(r);
    return j["faces"].empty() ? "no face" : j["faces"][0]["decision"].get<std::string>();
  }
  int64_t HeldFaces() { return Json(L({"stats", "--json"}))["faces"].get<int64_t>(); }
  std::vector<std::string> Tags() {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2((data_ / "catalog.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    std::vector<std::string> tags;
    if (sqlite3_prepare_v2(db, "SELECT tag FROM gov_erased_content", -1, &st, nullptr) ==
        SQLITE_OK) {
      while (sqlite3_step(st) == SQLITE_ROW) {
        tags.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
      }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return tags;
  }
  likeness::testing::TempDir tmp_;
  fs::path data_, photos_;
};

TEST_F(ErasureSticksTest, AnErasedSourceIsNotBroughtBackByAnyIngest) {
  ASSERT_EQ(Decision(photos_ / "sample1.jpg"), "match");
  auto r = L({"erase", "--source", "press", "--yes", "--case", "C-1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json(r)["photos_blocked_from_reingest"], 3);
  ASSERT_EQ(HeldFaces(), 0);

  // The same command again.
  auto again = Ingest(photos_.string(), "press");
  EXPECT_EQ(again["images"], 0);
  EXPECT_EQ(again["previously_erased"], 3);
  EXPECT_EQ(again["skipped"], 0);
  // Another source name, an archive, a manifest: the same bytes by other roads.
  EXPECT_EQ(Ingest(photos_.string(), "press-reloaded")["previously_erased"], 3);
  std::vector<likeness::testing::ArchiveMember> members;
  for (int i = 1; i <= 3; ++i) {
    const std::string name = "sample" + std::to_string(i) + ".jpg";
    members.push_back({"renamed/" + name, likeness::testing::ReadAll(photos_ / name)});
  }
  const fs::path zip = tmp_.path() / "press.zip";
  ASSERT_TRUE(likeness::testing::WriteArchive(zip, likeness::testing::ArchiveType::kZip, members));
  EXPECT_EQ(Ingest(zip.string(), "press-zip")["previously_erased"], 3);
  const fs::path manifest = tmp_.path() / "press.csv";
  {
    std::ofstream out(manifest);
    out << "path\n";
    for (int i = 1; i <= 3; ++i) {
      out << (photos_ / ("sample" + std::to_string(i) + ".jpg")).string() << "\n";
    }
  }
  EXPECT_EQ(Ingest(manifest.string(), "press-manifest")["previously_erased"], 3);

  EXPECT_EQ(HeldFaces(), 0);
  EXPECT_EQ(Decision(photos_ / "sample1.jpg"), "no_match");
  // Every batch's audit record counts what it refused.
  auto audit = Json(L({"audit", "show", "--action", "ingest", "--json"}))["entries"];
  ASSERT_GE(audit.size(), 5u);
  EXPECT_EQ(audit.back()["details"]["previously_erased"], 3);
  // The list names no photo: no tag is a photo's SHA-256 (which anyone holding it could compute).
  const auto tags = Tags();
  ASSERT_EQ(tags.size(), 3u);
  for (int i = 1; i <= 3; ++i) {
    auto hash = Sha256FileHex(photos_ / ("sample" + std::to_string(i) + ".jpg"));
    ASSERT_TRUE(hash.ok());
    EXPECT_EQ(std::count(tags.begin(), tags.end(), *hash), 0);
  }
}

TEST_F(ErasureSticksTest, AnErasedSubjectStaysErased) {
  ASSERT_EQ(Decision(photos_ / "sample2.jpg"), "match");
  auto r = L({"erase", "--subject", (photos_ / "sample2.jpg").string(), "--largest", "--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto again = Ingest(photos_.string(), "press");
  EXPECT_EQ(again["images"], 0);
  EXPECT_EQ(Decision(photos_ / "sample2.jpg"), "no_match");
}

TEST_F(ErasureSticksTest, OnlyAnAuditedLiftLetsOnePhotoBack) {
  ASSERT_EQ(L({"erase", "--source", "press", "--yes"}).exit_code, 0);
  const fs::path one = photos_ / "sample1.jpg";
  // No case, or no reason: refused, nothing changes.
  EXPECT_EQ(L({"erase", "lift", "--image-file", one.string(), "--reason", "consent"}).exit_code, 3);
  EXPECT_EQ(L({"erase", "lift", "--image-file", one.string(), "--case", "C-2"}).exit_code, 2);
  EXPECT_EQ(
      L({"erase", "lift", "--hash", "not-a-hash", "--reason", "r", "--case", "C-2"}).exit_code, 3);
  EXPECT_EQ(Ingest(photos_.string(), "press")["previously_erased"], 3);

  auto r = L({"erase", "lift", "--image-file", one.string(), "--reason", "written consent given",
              "--case", "C-2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Json(r)["lifted"].get<bool>());
  // A second lift finds nothing to lift.
  EXPECT_EQ(L({"erase", "lift", "--image-file", one.string(), "--reason", "r", "--case", "C-2"})
                .exit_code,
            4);
  auto back = Ingest(photos_.string(), "press");
  EXPECT_EQ(back["images"], 1);
  EXPECT_EQ(back["previously_erased"], 2);
  EXPECT_EQ(Decision(one), "match");
  auto lifts = Json(L({"audit", "show", "--action", "erase_lift", "--json"}))["entries"];
  ASSERT_EQ(lifts.size(), 1u);
  EXPECT_EQ(lifts[0]["operator"], "dpo");
  EXPECT_EQ(lifts[0]["case"], "C-2");
  EXPECT_EQ(lifts[0]["details"]["reason"], "written consent given");
  EXPECT_EQ(L({"audit", "verify"}).exit_code, 0);
}

}  // namespace
}  // namespace likeness
