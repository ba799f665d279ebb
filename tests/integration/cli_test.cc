// The `likeness` binary as a user runs it: flags, exit codes, JSON output, bad files, and a kill -9
// in the middle of an ingest.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "testing/cli_runner.h"
#include "testing/test_env.h"

namespace likeness {
namespace {
namespace fs = std::filesystem;
using likeness::testing::TempDir;

using RunResult = likeness::testing::CliResult;

RunResult RunCli(const std::vector<std::string>& args, const fs::path& tmp) {
  return likeness::testing::RunProgram(LIKENESS_CLI, args, tmp);
}

// Images committed so far, or -1 while the catalog does not exist yet.
int64_t CountImages(const fs::path& db_path) {
  if (!fs::exists(db_path)) return -1;
  sqlite3* db = nullptr;
  int64_t n = -1;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 1000);
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM images", -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      n = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return n;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(likeness::testing::ModelDir()) << "run scripts/setup";
    ASSERT_TRUE(likeness::testing::DemoPhotoDir()) << "run scripts/setup";
    demo_ = *likeness::testing::DemoPhotoDir();
    data_ = tmp_.path() / "data";
  }
  RunResult L(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data", data_.string(), "-q"});
    return RunCli(args, tmp_.path());
  }
  std::vector<std::string> Declared(std::vector<std::string> args) {
    for (const char* a :
         {"--source", "demo", "--basis", "art6-1-e,art9-2-g", "--jurisdiction", "FR"}) {
      args.push_back(a);
    }
    return args;
  }
  // search and verify must state who looks, why, on what legal basis and for which case.
  std::vector<std::string> Justified(std::vector<std::string> args) {
    for (const char* a :
         {"--operator", "tester", "--purpose", "test", "--basis", "art6-1-e", "--case", "T-1"}) {
      args.push_back(a);
    }
    return args;
  }
  // Ingests demo photos 1 and 3 from the folder TwoPhotoDir() under the demo source.
  void IngestTwoDemoPhotos() {
    const fs::path src = TwoPhotoDir();
    fs::create_directories(src);
    fs::copy_file(demo_ / "sample1.jpg", src / "sample1.jpg");
    fs::copy_file(demo_ / "sample3.jpg", src / "sample3.jpg");
    ASSERT_EQ(L(Declared({"ingest", src.string()})).exit_code, 0);
  }
  fs::path TwoPhotoDir() const { return tmp_.path() / "two"; }
  TempDir tmp_;
  fs::path demo_, data_;
};

TEST_F(CliTest, IngestRefusesWithoutLawfulDeclaration) {
  auto r = L({"ingest", demo_.string(), "--source", "x", "--jurisdiction", "FR"});
  EXPECT_EQ(r.exit_code, 2) << r.err;  // --basis is required
  r = L({"ingest", demo_.string(), "--source", "x", "--basis", "art6-1-e,art9-2-g",
         "--jurisdiction", "XX"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("XX"), std::string::npos);
  r = L({"ingest", demo_.string(), "--source", "x", "--basis", "art6-1-e", "--jurisdiction", "FR"});
  EXPECT_EQ(r.exit_code, 3) << "Art. 9 condition missing: " << r.err;
  r = L({"ingest", demo_.string(), "--source", "x", "--basis", "art6-1-e,art9-2-g",
         "--jurisdiction", "FR", "--retain-until", "2026-02-30"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  r = L({"ingest", demo_.string(), "--source", "x", "--basis", "art6-1-z,art9-2-g",
         "--jurisdiction", "FR"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  r = L({"stats", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["images"], 0);
}

TEST_F(CliTest, IngestSearchVerifyFacesStatsJson) {
  // A folder with the demo photos plus bad files that must be reported and skipped.
  const fs::path src = tmp_.path() / "photos";
  fs::create_directories(src);
  for (int i = 1; i <= 3; ++i) {
    fs::copy_file(demo_ / ("sample" + std::to_string(i) + ".jpg"),
                  src / ("sample" + std::to_string(i) + ".jpg"));
  }
  std::ofstream(src / "empty.jpg");
  std::ofstream(src / "notes.jpg") << "not an image at all";
  {
    std::ifstream in(demo_ / "sample4.jpg", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(src / "truncated.jpg", std::ios::binary) << bytes.substr(0, 700);
  }
  auto r = L(Declared({"ingest", src.string(), "--json", "--jobs", "2"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["images"], 3);
  EXPECT_EQ(summary["errors"], 3);
  EXPECT_EQ(summary["source"]["jurisdiction"], "FR");

  r = L(Justified({"search", (demo_ / "sample1.jpg").string(), "--top", "3", "--json"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto s = nlohmann::json::parse(r.out);
  ASSERT_GE(s["faces"].size(), 3u);
  const auto& best = s["faces"][0]["matches"][0];
  EXPECT_EQ(s["faces"][0]["decision"], "match");
  EXPECT_GT(s["gallery_size"].get<int64_t>(), 0);
  EXPECT_TRUE(s["expected_false_matches"].is_null());  // not calibrated yet
  EXPECT_GT(best["score"].get<double>(), 0.99);
  EXPECT_EQ(best["legal_basis"], "art6-1-e");
  EXPECT_EQ(best["art9_condition"], "art9-2-g");
  EXPECT_EQ(best["jurisdiction"], "FR");
  EXPECT_EQ(best["source"], "demo");
  for (const char* key : {"image_path", "box", "face_id", "match"})
    EXPECT_TRUE(best.contains(key)) << key;

  r = L(Justified({"search", (demo_ / "sample1.jpg").string(), "--largest", "--json"}));
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(r.out)["faces"].size(), 1u);

  r = L(Justified({"search", (src / "notes.jpg").string()}));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("notes.jpg"), std::string::npos);

  r = L(Justified(
      {"verify", (demo_ / "sample1.jpg").string(), (demo_ / "sample1.jpg").string(), "--json"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(nlohmann::json::parse(r.out)["same_person"].get<bool>());

  const fs::path drawn = tmp_.path() / "drawn.png";
  r = L({"faces", (demo_ / "sample2.jpg").string(), "--json", "--draw", drawn.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto faces = nlohmann::json::parse(r.out);
  EXPECT_GE(faces["faces"].size(), 3u);
  EXPECT_EQ(faces["faces"][0]["points"].size(), 5u);
  EXPECT_GT(fs::file_size(drawn), 10000u);

  r = L({"stats", "--json"});
  ASSERT_EQ(r.exit_code, 0);
  auto st = nlohmann::json::parse(r.out);
  EXPECT_EQ(st["images"], 3);
  EXPECT_EQ(st["ingest_errors"], 3);
  EXPECT_EQ(st["index"]["vectors"], st["searchable_faces"]);
}

TEST_F(CliTest, KillDuringIngestLosesNothingAndDuplicatesNothing) {
  // 36 distinct files (bytes appended after the JPEG end marker change the hash, not the pixels).
  const fs::path src = tmp_.path() / "many";
  fs::create_directories(src);
  constexpr int kFiles = 36;
  for (int i = 0; i < kFiles; ++i) {
    std::ifstream in(demo_ / ("sample" + std::to_string(1 + i % 6) + ".jpg"), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(src / ("copy" + std::to_string(100 + i) + ".jpg"), std::ios::binary)
        << bytes << "copy" << i;
  }
  pid_t pid = fork();
  if (pid == 0) {
    std::string bin = LIKENESS_CLI;
    std::vector<std::string> args = {bin,
                                     "--data",
                                     data_.string(),
                                     "-q",
                                     "ingest",
                                     src.string(),
                                     "--source",
                                     "demo",
                                     "--basis",
                                     "art6-1-e,art9-2-g",
                                     "--jurisdiction",
                                     "FR",
                                     "--jobs",
                                     "2"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  // Kill -9 once a few images are committed (read the catalog directly; WAL lets readers in).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline && CountImages(data_ / "catalog.db") < 3) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "ingest finished before the kill; make the input larger";

  auto r = L({"stats", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const int64_t before = nlohmann::json::parse(r.out)["images"];
  EXPECT_LT(before, kFiles);

  r = L(Declared({"ingest", src.string(), "--json", "--jobs", "2"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["skipped"].get<int64_t>(), before);
  EXPECT_EQ(summary["images"].get<int64_t>(), kFiles - before);

  r = L({"stats", "--json"});
  auto st = nlohmann::json::parse(r.out);
  EXPECT_EQ(st["images"], kFiles);
  EXPECT_EQ(st["index"]["vectors"], st["searchable_faces"]);
  // Every copy of a photo holds the same faces: 6 copies of each of the 6 samples.
  EXPECT_EQ(st["faces"].get<int64_t>() % 6, 0);
}

TEST_F(CliTest, ReembedMigratesTheCatalogAndBack) {
  ASSERT_NO_FATAL_FAILURE(IngestTwoDemoPhotos());
  const fs::path src = TwoPhotoDir();
  auto st = nlohmann::json::parse(L({"stats", "--json"}).out);
  const std::string base_model = st["model_id"];
  const int64_t faces = st["faces"];
  ASSERT_FALSE(base_model.empty());

  auto r = L({"reembed", "--flip", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto report = nlohmann::json::parse(r.out);
  EXPECT_EQ(report["model_id"], base_model + "+flip");
  EXPECT_EQ(report["faces_updated"], faces);
  st = nlohmann::json::parse(L({"stats", "--json"}).out);
  EXPECT_EQ(st["model_id"], base_model + "+flip");
  EXPECT_EQ(st["index"]["vectors"], st["searchable_faces"]);
  // The engine follows the catalog's model: search still finds the photo's own faces.
  r = L(Justified({"search", (demo_ / "sample1.jpg").string(), "--largest", "--json"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(nlohmann::json::parse(r.out)["faces"][0]["matches"][0]["score"].get<double>(), 0.99);

  // The originals changed on disk: reembed reports them and leaves the catalog as it was.
  std::ofstream(src / "sample3.jpg", std::ios::app) << "changed";
  r = L({"reembed", "--no-flip", "--json"});
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["images_unreachable"].size(), 1u);
}

// Issue 13: bf16 changes embeddings slightly, so it is a model variant like flip TTA: `reembed`
// under --precision bf16 migrates the catalog, and every later process follows the catalog's
// precision without being told (a probe is embedded the way the catalog was).
TEST_F(CliTest, ReembedMigratesToBf16AndTheEngineFollowsTheCatalog) {
  ASSERT_NO_FATAL_FAILURE(IngestTwoDemoPhotos());
  auto st = nlohmann::json::parse(L({"stats", "--json"}).out);
  const std::string base_model = st["model_id"];
  const int64_t faces = st["faces"];
  EXPECT_EQ(st["inference"]["precision"], "fp32");

  auto r = L({"--precision", "bf16", "reembed", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["model_id"], base_model + "+bf16");
  EXPECT_EQ(nlohmann::json::parse(r.out)["faces_updated"], faces);
  // No --precision: the engine adopts the catalog's.
  st = nlohmann::json::parse(L({"stats", "--json"}).out);
  EXPECT_EQ(st["model_id"], base_model + "+bf16");
  EXPECT_EQ(st["inference"]["precision"], "bf16");
  for (const auto& m : st["inference"]["models"]) {
    EXPECT_EQ(m["precision"], m["role"] == "embedder" ? "bf16" : "fp32") << m.dump();
  }
  r = L(Justified({"search", (demo_ / "sample1.jpg").string(), "--largest", "--json"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(nlohmann::json::parse(r.out)["faces"][0]["matches"][0]["score"].get<double>(), 0.99);
  // Asking for the other precision does not mix them: the catalog's wins.
  st = nlohmann::json::parse(L({"--precision", "fp32", "stats", "--json"}).out);
  EXPECT_EQ(st["inference"]["precision"], "bf16");
  // bf16 needs the fast backend: with OpenCV DNN it is a clear error, nothing changed.
  r = L({"--backend", "opencv", "--precision", "bf16", "reembed", "--json"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("bf16"), std::string::npos) << r.err;
  EXPECT_EQ(nlohmann::json::parse(L({"stats", "--json"}).out)["model_id"], base_model + "+bf16");
  // And back to fp32.
  r = L({"reembed", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["model_id"], base_model);
}

TEST_F(CliTest, IndexSetStoresTheKindAndRebuildsFromTheCatalog) {
  const fs::path src = tmp_.path() / "photos";
  fs::create_directories(src);
  for (int i = 1; i <= 2; ++i) {
    fs::copy_file(demo_ / ("sample" + std::to_string(i) + ".jpg"),
                  src / ("sample" + std::to_string(i) + ".jpg"));
  }
  auto r = L(Declared({"ingest", src.string(), "--json"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = L({"index", "show", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto show = nlohmann::json::parse(r.out);
  EXPECT_EQ(show["configured"], "");
  EXPECT_EQ(show["active"], "Flat");
  EXPECT_FALSE(show.contains("codebook"));  // only kinds with trained codebooks (IVF-PQ) have one
  const int64_t faces = show["faces"].get<int64_t>();
  EXPECT_GT(faces, 0);

  r = L({"index", "set", "HNSW16,ef=64"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Later runs open the configured kind without --index, with the same faces.
  r = L({"index", "show", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  show = nlohmann::json::parse(r.out);
  EXPECT_EQ(show["configured"], "HNSW16,ef=64");
  EXPECT_EQ(show["active"], "HNSW16,ef=64");
  EXPECT_EQ(show["faces"].get<int64_t>(), faces);
  r = L(Justified({"search", (demo_ / "sample1.jpg").string(), "--top", "3", "--json"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;

  // A bad kind is a usage error and leaves the configuration alone.
  r = L({"index", "set", "IVF9,PQ7,rerank=fp16"});
  EXPECT_NE(r.exit_code, 0);
  r = L({"index", "show", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["configured"], "HNSW16,ef=64");
}

}  // namespace
}  // namespace likeness
