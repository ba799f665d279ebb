// The governance commands as an operator runs them: refusals (exit 3), audit show/verify (exit 9
// on tampering), erase with preview and receipt, blocked jurisdictions (exit 6), opt-out, access,
// retention, the processing record and master-key rotation; ingest names its operator.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "privacy/key_folder.h"
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

class GovernanceCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(likeness::testing::ModelDir()) << "run scripts/setup";
    ASSERT_TRUE(likeness::testing::DemoPhotoDir()) << "run scripts/setup";
    unsetenv("LIKENESS_OPERATOR");
    unsetenv("LIKENESS_MASTER_KEY");
    demo_ = *likeness::testing::DemoPhotoDir();
    data_ = tmp_.path() / "data";
    photos_ = tmp_.path() / "photos";
    fs::create_directories(photos_);
    for (int i = 1; i <= 3; ++i) {
      fs::copy_file(demo_ / ("sample" + std::to_string(i) + ".jpg"),
                    photos_ / ("sample" + std::to_string(i) + ".jpg"));
    }
    auto r = L({"ingest", photos_.string(), "--source", "demo", "--basis", "art6-1-e,art9-2-g",
                "--jurisdiction", "FR", "--jobs", "1", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  RunResult L(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data", data_.string(), "-q"});
    return RunCli(args, tmp_.path());
  }
  static std::vector<std::string> Why(std::vector<std::string> args) {
    for (const char* a : {"--operator", "officer", "--purpose", "inquiry", "--basis", "art6-1-e",
                          "--case", "C-7"}) {
      args.push_back(a);
    }
    return args;
  }
  nlohmann::json J(const RunResult& r) {
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
    return j;
  }
  std::string Demo(int i) const {
    return (demo_ / ("sample" + std::to_string(i) + ".jpg")).string();
  }
  TempDir tmp_;
  fs::path demo_, data_, photos_;
};

TEST_F(GovernanceCliTest, SearchAndVerifyNeedPurposeBasisCaseAndOperator) {
  auto r = L({"search", Demo(1)});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("operator"), std::string::npos) << r.err;
  r = L({"search", Demo(1), "--operator", "o", "--basis", "art6-1-e", "--case", "c"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("purpose"), std::string::npos) << r.err;
  r = L({"search", Demo(1), "--operator", "o", "--purpose", "p", "--case", "c"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("basis"), std::string::npos) << r.err;
  r = L({"search", Demo(1), "--operator", "o", "--purpose", "p", "--basis", "art6-1-e"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("case"), std::string::npos) << r.err;
  r = L({"verify", Demo(1), Demo(1), "--operator", "o", "--purpose", "p", "--basis", "bogus",
         "--case", "c"});
  EXPECT_EQ(r.exit_code, 3) << r.err;

  r = L(Why({"search", Demo(1), "--json"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(J(r)["audit_seq"].get<int>(), 0);
  setenv("LIKENESS_OPERATOR", "env-officer", 1);
  r = L({"verify", Demo(1), Demo(2), "--purpose", "p", "--basis", "art6-1-e", "--case", "C-8",
         "--json"});
  unsetenv("LIKENESS_OPERATOR");
  ASSERT_EQ(r.exit_code, 0) << r.err;

  r = L({"audit", "show", "--action", "search", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto entries = J(r)["entries"];
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0]["operator"], "officer");
  EXPECT_EQ(entries[0]["case"], "C-7");
  EXPECT_EQ(entries[0]["purpose"], "inquiry");
  EXPECT_EQ(entries[0]["probe_sha256"].get<std::string>().size(), 64u);
  r = L({"audit", "show", "--operator", "env-officer", "--json"});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(J(r)["entries"].size(), 1u);
  EXPECT_EQ(J(r)["entries"][0]["action"], "verify");
  r = L({"audit", "show", "--case", "C-7", "--since", "2020-01-01", "--until", "2999-01-01"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = L({"audit", "show", "--since", "2026-13-01"});
  EXPECT_EQ(r.exit_code, 3) << r.err;

  r = L({"audit", "verify"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  {  // someone with write access edits the search record's purpose
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((data_ / "audit.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "DROP TRIGGER audit_no_update; UPDATE audit SET purpose = 'nothing' "
                           "WHERE action = 'search'",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  r = L({"audit", "verify"});
  EXPECT_EQ(r.exit_code, 9) << r.out << r.err;
  // 1 = ingest-start, 2 = ingest, 3 = search (batches are audited when they start and end)
  EXPECT_NE(r.err.find("seq 3"), std::string::npos) << r.err;
}

TEST_F(GovernanceCliTest, EraseWithPreviewReceiptAndBadInput) {
  auto r = L(Why({"search", Demo(1), "--largest", "--json"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const int64_t face = J(r)["faces"][0]["matches"][0]["face_id"].get<int64_t>();
  const std::string id = std::to_string(face);

  r = L({"erase", "--face", id, "--preview", "--operator", "officer"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(J(r)["preview"]["face_count"], 1);
  r = L({"erase", "--face", id, "--operator", "officer"});  // not a tty, no --yes
  EXPECT_EQ(r.exit_code, 6) << r.err;
  r = L({"erase", "--face", id, "--yes"});  // no operator
  EXPECT_EQ(r.exit_code, 3) << r.err;
  r = L({"erase", "--face", id, "--image", "1", "--yes", "--operator", "officer"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  r = L({"erase", "--face", "999999", "--yes", "--operator", "officer"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  r = L({"erase", "--jurisdiction", "XX", "--yes", "--operator", "officer"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  r = L({"erase", "--subject", Demo(1), "--yes", "--operator", "officer"});
  EXPECT_EQ(r.exit_code, 3) << "several faces without --largest: " << r.err;

  r = L({"erase", "--face", id, "--yes", "--operator", "officer", "--case", "REQ-3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto receipt = J(r);
  EXPECT_EQ(receipt["faces_removed"], 1);
  EXPECT_EQ(receipt["vectors_removed"], 1);
  EXPECT_EQ(receipt["operator"], "officer");
  EXPECT_EQ(receipt["asked"]["by"], "face");
  r = L({"audit", "show", "--action", "erase", "--json"});
  ASSERT_EQ(J(r)["entries"].size(), 1u);
  EXPECT_EQ(J(r)["entries"][0]["details"]["removed_ids_sha256"], receipt["removed_ids_sha256"]);

  // The same person appears in other photos: the preview lists those, not the erased face, and
  // erases nothing.
  r = L({"erase", "--subject", Demo(1), "--largest", "--preview", "--operator", "officer"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& f : nlohmann::json(J(r)["preview"]["faces"]))
    EXPECT_NE(f["face_id"].get<int64_t>(), face);
  const auto listed = J(r)["preview"]["face_count"].get<int64_t>();
  r = L({"erase", "--subject", Demo(1), "--largest", "--preview", "--operator", "officer"});
  EXPECT_EQ(J(r)["preview"]["face_count"].get<int64_t>(), listed);
  r = L({"erase", "--source", "demo", "--yes", "--operator", "officer"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(J(r)["images_removed"], 3);
  r = L({"stats", "--json"});
  EXPECT_EQ(J(r)["faces"], 0);
  EXPECT_EQ(J(r)["index"]["vectors"], 0);
}

TEST_F(GovernanceCliTest, PolicyOptOutAccessRetentionReportKeys) {
  auto r = L({"policy", "block-jurisdiction", "fr", "--operator", "dpo"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(J(r)["held_images"], 3);
  fs::create_directories(tmp_.path() / "more");
  fs::copy_file(demo_ / "sample4.jpg", tmp_.path() / "more" / "s4.jpg");
  r = L({"ingest", (tmp_.path() / "more").string(), "--source", "more", "--basis",
         "art6-1-e,art9-2-g", "--jurisdiction", "FR", "--jobs", "1"});
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(r.err.find("blocked"), std::string::npos) << r.err;
  r = L({"report", "processing"});
  EXPECT_EQ(J(r)["sources"].size(), 1u) << "a refused ingest declares no source";
  r = L({"policy", "show"});
  EXPECT_EQ(J(r)["blocked_jurisdictions"][0]["jurisdiction"], "FR");
  r = L({"policy", "block-jurisdiction", "UK", "--operator", "dpo"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  r = L({"policy", "unblock-jurisdiction", "FR", "--operator", "dpo"});
  EXPECT_EQ(r.exit_code, 0) << r.err;

  r = L({"access", Demo(2), "--largest", "--operator", "dpo", "--case", "SAR-1", "--out",
         (tmp_.path() / "sar.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(J(r)["held"].get<bool>());
  EXPECT_TRUE(fs::exists(tmp_.path() / "sar.json"));
  r = L({"access", Demo(2), "--operator", "dpo"});
  EXPECT_EQ(r.exit_code, 3) << "several faces: " << r.err;

  r = L({"optout", "add", Demo(2), "--largest", "--request", "REQ-9", "--operator", "dpo"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GE(J(r)["matched_faces"].get<int>(), 1);
  r = L({"optout", "list"});
  EXPECT_EQ(J(r)["optouts"][0]["request"], "REQ-9");
  r = L({"access", Demo(2), "--largest", "--operator", "dpo"});
  EXPECT_FALSE(J(r)["held"].get<bool>());

  r = L({"master-key", "rotate", "--operator", "dpo"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = L({"optout", "list"});  // the opt-out key still unwraps under the new master key
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = L({"optout", "withdraw", "REQ-9", "--operator", "dpo"});
  EXPECT_EQ(r.exit_code, 0) << r.err;

  r = L({"retention", "run", "--today", "2026-02-30", "--operator", "dpo"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  r = L({"policy", "set-default-retention", "30", "--operator", "dpo"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = L({"retention", "run", "--operator", "dpo"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(J(r)["expired_faces"], 0);

  r = L({"report", "processing", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(J(r)["sources"][0]["name"], "demo");
  EXPECT_EQ(J(r)["policy"]["default_retention_days"], 30);

  {  // a damaged master key file (in the key folder, outside the data folder) is refused
    auto keys = privacy::OpenKeyFolder(data_);
    ASSERT_TRUE(keys.ok()) << keys.status().ToString();
    fs::remove(keys->master_key());
    std::ofstream(keys->master_key()) << "not a key\n";
    fs::permissions(keys->master_key(), fs::perms::owner_read | fs::perms::owner_write,
                    fs::perm_options::replace);
  }
  r = L({"optout", "list"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  r = L({"audit", "verify"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(GovernanceCliTest, IngestRecordsItsOperator) {
  // SetUp ingested with neither --operator nor $LIKENESS_OPERATOR.
  auto r = L({"audit", "show", "--action", "ingest", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(J(r)["entries"].size(), 1u);
  EXPECT_EQ(J(r)["entries"][0]["operator"], "unnamed-cli-operator");

  fs::create_directories(tmp_.path() / "more");
  fs::copy_file(demo_ / "sample4.jpg", tmp_.path() / "more" / "s4.jpg");
  r = L({"ingest", (tmp_.path() / "more").string(), "--source", "more", "--basis",
         "art6-1-e,art9-2-g", "--jurisdiction", "FR", "--jobs", "1", "--operator", "clerk-7"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  fs::copy_file(demo_ / "sample5.jpg", tmp_.path() / "more" / "s5.jpg");
  setenv("LIKENESS_OPERATOR", "env-clerk", 1);
  r = L({"ingest", (tmp_.path() / "more").string(), "--source", "more", "--basis",
         "art6-1-e,art9-2-g", "--jurisdiction", "FR", "--jobs", "1"});
  unsetenv("LIKENESS_OPERATOR");
  ASSERT_EQ(r.exit_code, 0) << r.err;

  r = L({"audit", "show", "--action", "ingest", "--operator", "clerk-7", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(J(r)["entries"].size(), 1u);
  EXPECT_EQ(J(r)["entries"][0]["case"], "source:more");
  r = L({"audit", "show", "--action", "ingest", "--operator", "env-clerk", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(J(r)["entries"].size(), 1u);
}

}  // namespace
}  // namespace likeness
