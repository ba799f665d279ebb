// `likeness ingest` on archives and manifests as a user runs it: entries decoded from memory and
// stored at "ARCHIVE!/entry", hostile entries reported and skipped (traversal names, a 200 MiB
// bomb, a nested zip, a symlink, a non-image), a truncated archive, re-runs that skip what is done,
// and a kill -9 in the middle of an archive.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "testing/archive_builder.h"
#include "testing/cli_runner.h"
#include "testing/test_env.h"

namespace likeness {
namespace {
namespace fs = std::filesystem;
using likeness::testing::ArchiveMember;
using likeness::testing::ArchiveType;
using likeness::testing::ReadAll;
using likeness::testing::TempDir;
using likeness::testing::WriteArchive;

// Rows of a one-column query on the catalog (empty while it does not exist).
std::vector<std::string> Query(const fs::path& db_path, const std::string& sql) {
  std::vector<std::string> out;
  if (!fs::exists(db_path)) return out;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 1000);
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK) {
      while (sqlite3_step(st) == SQLITE_ROW) {
        const auto* text = sqlite3_column_text(st, 0);
        out.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
      }
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return out;
}

int64_t CountImages(const fs::path& db) {
  auto rows = Query(db, "SELECT count(*) FROM images");
  return rows.empty() ? -1 : std::stoll(rows[0]);
}

class ArchiveCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(likeness::testing::ModelDir()) << "run scripts/setup";
    ASSERT_TRUE(likeness::testing::DemoPhotoDir()) << "run scripts/setup";
    demo_ = *likeness::testing::DemoPhotoDir();
    data_ = tmp_.path() / "data";
    work_ = tmp_.path() / "work";
    fs::create_directories(work_);
  }
  likeness::testing::CliResult L(std::vector<std::string> args, const fs::path& data = {}) {
    args.insert(args.begin(), {"--data", (data.empty() ? data_ : data).string(), "-q"});
    return likeness::testing::RunProgram(LIKENESS_CLI, args, tmp_.path());
  }
  std::vector<std::string> Ingest(const std::string& path, const std::string& source,
                                  std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {
        "ingest",         path, "--source", source,   "--basis", "art6-1-e,art9-2-g",
        "--jurisdiction", "FR", "--json",   "--jobs", "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
  std::string Sample(int i) { return ReadAll(demo_ / ("sample" + std::to_string(i) + ".jpg")); }
  // n distinct JPEG files (bytes after the end marker change the hash, not the pixels).
  std::vector<ArchiveMember> Copies(int n) {
    std::vector<ArchiveMember> members;
    for (int i = 0; i < n; ++i) {
      members.push_back({.name = "copies/copy" + std::to_string(100 + i) + ".jpg",
                         .bytes = Sample(1 + i % 6) + "copy" + std::to_string(i)});
    }
    return members;
  }
  fs::path Db(const fs::path& data = {}) { return (data.empty() ? data_ : data) / "catalog.db"; }

  TempDir tmp_;
  fs::path demo_, data_, work_;
};

TEST_F(ArchiveCliTest, ZipWithHostileEntriesStoresTheImagesAndReportsTheRest) {
  // Reference: the same five photos from a folder, in another data folder.
  const fs::path folder = work_ / "folder";
  fs::create_directories(folder);
  for (int i = 1; i <= 5; ++i) {
    std::ofstream(folder / ("s" + std::to_string(i) + ".jpg"), std::ios::binary) << Sample(i);
  }
  const fs::path ref_data = tmp_.path() / "ref";
  auto r = L(Ingest(folder.string(), "ref"), ref_data);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const int64_t ref_faces = nlohmann::json::parse(r.out)["faces"];
  ASSERT_GT(ref_faces, 5);

  // Something stored before the archive, which must survive it.
  const fs::path before = work_ / "before";
  fs::create_directories(before);
  std::ofstream(before / "s6.jpg", std::ios::binary) << Sample(6);
  r = L(Ingest(before.string(), "earlier"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const int64_t earlier_faces = nlohmann::json::parse(r.out)["faces"];

  const fs::path nested = work_ / "nested.zip";
  ASSERT_TRUE(WriteArchive(nested, ArchiveType::kZip, {{.name = "n.jpg", .bytes = Sample(6)}}));
  const fs::path zip = work_ / "photos.zip";
  ASSERT_TRUE(WriteArchive(zip, ArchiveType::kZip,
                           {{.name = "photos/s1.jpg", .bytes = Sample(1)},
                            {.name = "../evil.jpg", .bytes = Sample(2)},
                            {.name = "/abs/s3.jpg", .bytes = Sample(3)},
                            {.name = "notes.txt", .bytes = "not an image"},
                            {.name = "bomb.jpg", .zeros = 200ull << 20},
                            {.name = "inner.zip", .bytes = ReadAll(nested)},
                            {.name = "zlink.jpg", .symlink_target = "/etc/passwd"},
                            {.name = "photos/s4.jpg", .bytes = Sample(4)},
                            {.name = "photos/s5.jpg", .bytes = Sample(5)}}));
  const auto t0 = std::chrono::steady_clock::now();
  r = L(Ingest(zip.string(), "zipped"));
  ASSERT_EQ(r.exit_code, 0) << r.err;  // bad entries are reported, not fatal
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(120));
  auto summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["source"]["kind"], "archive");  // detected by content
  EXPECT_EQ(summary["files"], 9);
  EXPECT_EQ(summary["images"], 5);
  EXPECT_EQ(summary["errors"], 4);  // notes.txt, the bomb, the nested zip, the symlink
  EXPECT_EQ(summary["faces"].get<int64_t>(), ref_faces);

  const std::string abs = fs::absolute(zip).lexically_normal().string();
  auto paths = Query(Db(), "SELECT path FROM images ORDER BY id");
  const std::set<std::string> stored(paths.begin(), paths.end());
  for (const std::string entry :
       {"photos/s1.jpg", "../evil.jpg", "/abs/s3.jpg", "photos/s4.jpg", "photos/s5.jpg"}) {
    EXPECT_TRUE(stored.count(abs + "!/" + entry)) << entry;
  }
  EXPECT_EQ(paths.size(), 6u);
  auto errors = Query(Db(), "SELECT path || ' ' || message FROM ingest_errors ORDER BY path");
  ASSERT_EQ(errors.size(), 4u);  // by path: bomb.jpg, inner.zip, notes.txt, zlink.jpg
  EXPECT_EQ(errors[0].rfind(abs + "!/bomb.jpg", 0), 0u) << errors[0];
  EXPECT_NE(errors[0].find("limit"), std::string::npos) << errors[0];
  EXPECT_NE(errors[1].find("nested archive"), std::string::npos) << errors[1];
  EXPECT_EQ(errors[2].rfind(abs + "!/notes.txt", 0), 0u) << errors[2];
  EXPECT_NE(errors[3].find("symbolic link"), std::string::npos) << errors[3];
  // Names are only names: nothing was written next to the archive or above it.
  EXPECT_FALSE(fs::exists(work_ / ".." / "evil.jpg"));
  EXPECT_FALSE(fs::exists(work_ / "photos"));

  // What was stored before is still there, and the index holds every searchable face.
  r = L({"stats", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto st = nlohmann::json::parse(r.out);
  EXPECT_EQ(st["images"], 6);
  EXPECT_EQ(st["faces"].get<int64_t>(), ref_faces + earlier_faces);
  EXPECT_EQ(st["index"]["vectors"], st["searchable_faces"]);

  // Re-running skips what is held and stores nothing twice.
  r = L(Ingest(zip.string(), "zipped"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["images"], 0);
  EXPECT_EQ(summary["skipped"], 5);
  EXPECT_EQ(summary["errors"], 4);
  EXPECT_EQ(CountImages(Db()), 6);
}

TEST_F(ArchiveCliTest, TruncatedTarGzKeepsTheEntriesBeforeTheDamage) {
  const fs::path tgz = work_ / "cut.tar.gz";
  auto members = Copies(12);
  ASSERT_TRUE(WriteArchive(tgz, ArchiveType::kTarGz, members));
  likeness::testing::TruncateFile(tgz, 0.5);
  auto r = L(Ingest(tgz.string(), "cut"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto summary = nlohmann::json::parse(r.out);
  const int64_t images = summary["images"];
  EXPECT_GE(images, 3);
  EXPECT_LT(images, 12);
  EXPECT_EQ(summary["errors"], 1);
  EXPECT_EQ(CountImages(Db()), images);
  auto errors = Query(Db(), "SELECT message FROM ingest_errors");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("damaged"), std::string::npos) << errors[0];
  // An archive inside a folder is reported, not opened.
  const fs::path folder = work_ / "holds_archive";
  fs::create_directories(folder);
  fs::copy_file(tgz, folder / "cut.tar.gz");
  r = L(Ingest(folder.string(), "folder"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["errors"], 1);
  EXPECT_EQ(Query(Db(),
                  "SELECT count(*) FROM ingest_errors WHERE message LIKE "
                  "'%not opened: name it on the command line%'"),
            std::vector<std::string>{"1"});

  // The stored entries are the first ones, in archive order.
  auto paths = Query(Db(), "SELECT path FROM images ORDER BY path");
  const std::string abs = fs::absolute(tgz).lexically_normal().string();
  for (int64_t i = 0; i < images; ++i) EXPECT_EQ(paths[i], abs + "!/" + members[i].name);
}

TEST_F(ArchiveCliTest, ManifestRowsResolveReportMissingFilesAndKeepRetention) {
  const fs::path dir = work_ / "m";
  fs::create_directories(dir / "sub");
  std::ofstream(dir / "sub" / "a.jpg", std::ios::binary) << Sample(1);
  std::ofstream(dir / "b.jpg", std::ios::binary) << Sample(2);
  std::ofstream(dir / "c.jpg", std::ios::binary) << Sample(3);
  const fs::path manifest = dir / "list.csv";
  std::ofstream(manifest) << "path,location,collected_at,retain_until\n"
                             "sub/a.jpg,,2024-01-02,\n"
                             "b.jpg,\"Box 7, folder 2\",,2031-01-01\n"
                             "gone.jpg,,,\n"
                             "c.jpg,,,2030-06-30\n";
  auto r = L(Ingest(manifest.string(), "listed", {"--retain-until", "2031-01-01"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["source"]["kind"], "manifest");
  EXPECT_EQ(summary["files"], 4);
  EXPECT_EQ(summary["images"], 2);
  EXPECT_EQ(summary["errors"], 2);  // gone.jpg, and c.jpg whose retention is shorter
  auto paths = Query(Db(), "SELECT path FROM images ORDER BY id");
  ASSERT_EQ(paths.size(), 2u);
  const std::set<std::string> stored(paths.begin(), paths.end());
  EXPECT_TRUE(stored.count(fs::absolute(dir / "sub" / "a.jpg").lexically_normal().string()));
  EXPECT_TRUE(stored.count("Box 7, folder 2"));
  auto errors = Query(Db(), "SELECT path || ' ' || message FROM ingest_errors ORDER BY path");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_NE(errors[0].find("c.jpg FailedPrecondition: row retain_until 2030-06-30"),
            std::string::npos)
      << errors[0];
  EXPECT_NE(errors[1].find("gone.jpg NotFound"), std::string::npos) << errors[1];

  // A manifest and a plain photo together: only the manifest is read as one.
  std::ofstream(dir / "d.jpg", std::ios::binary) << Sample(4);
  std::ofstream(dir / "e.jpg", std::ios::binary) << Sample(5);
  const fs::path second = dir / "second.manifest";
  std::ofstream(second) << "path\ne.jpg\n";
  auto args = Ingest(second.string(), "listed", {"--retain-until", "2031-01-01"});
  args.insert(args.begin() + 2, (dir / "d.jpg").string());
  r = L(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["images"], 2);
  EXPECT_EQ(summary["errors"], 0);

  // A manifest with an unknown column is refused before anything is stored.
  const fs::path bad = dir / "bad.csv";
  std::ofstream(bad) << "path,retain_untill\nb.jpg,2030-01-01\n";
  r = L(Ingest(bad.string(), "listed", {"--kind", "manifest", "--retain-until", "2031-01-01"}));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("retain_untill"), std::string::npos);
  EXPECT_EQ(CountImages(Db()), 4);
}

TEST_F(ArchiveCliTest, KillDuringArchiveIngestLosesNothingAndDuplicatesNothing) {
  constexpr int kEntries = 36;
  const fs::path zip = work_ / "many.zip";
  ASSERT_TRUE(WriteArchive(zip, ArchiveType::kZip, Copies(kEntries)));
  pid_t pid = fork();
  if (pid == 0) {
    std::string bin = LIKENESS_CLI;
    std::vector<std::string> args = {bin, "--data", data_.string(), "-q"};
    for (auto& a : Ingest(zip.string(), "many")) args.push_back(a);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline && CountImages(Db()) < 3) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "ingest finished before the kill; make the input larger";

  auto r = L({"stats", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const int64_t before = nlohmann::json::parse(r.out)["images"];
  EXPECT_LT(before, kEntries);

  r = L(Ingest(zip.string(), "many"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["skipped"].get<int64_t>(), before);
  EXPECT_EQ(summary["images"].get<int64_t>(), kEntries - before);

  r = L({"stats", "--json"});
  auto st = nlohmann::json::parse(r.out);
  EXPECT_EQ(st["images"], kEntries);
  EXPECT_EQ(st["index"]["vectors"], st["searchable_faces"]);
  EXPECT_EQ(st["faces"].get<int64_t>() % 6, 0);
  auto distinct = Query(Db(), "SELECT count(DISTINCT path) FROM images");
  ASSERT_EQ(distinct.size(), 1u);
  EXPECT_EQ(distinct[0], std::to_string(kEntries));
}

}  // namespace
}  // namespace likeness
