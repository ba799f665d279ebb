// Audit anchors (privacy/audit_anchor.h): made from the head, round-tripped through a file, and
// checked against a log that still holds them, lost records, a rewritten record, a forged anchor
// and another instance's log.
#include "privacy/audit_anchor.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "testing/test_env.h"

namespace likeness::privacy {
namespace {
namespace fs = std::filesystem;

class AuditAnchorTest : public ::testing::Test {
 protected:
  std::unique_ptr<AuditLog> OpenLog(const fs::path& dir) {
    fs::create_directories(dir);
    AuditLogOptions o;
    o.db_path = dir / "audit.db";
    o.key_path = dir / "instance.key";
    auto log = AuditLog::Open(o);
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    return std::move(log).value();
  }
  static void Append(AuditLog& log, int n) {
    for (int i = 0; i < n; ++i) {
      AuditEntry e;
      e.operator_id = "alice";
      e.action = "search";
      e.purpose = "p";
      e.legal_basis = "art6-1-e";
      e.case_ref = "c";
      ASSERT_TRUE(log.Append(e).ok());
    }
  }
  likeness::testing::TempDir dir_;
};

TEST_F(AuditAnchorTest, AnAnchorRoundTripsAndHoldsWhileTheLogGrows) {
  auto log = OpenLog(dir_.path() / "a");
  EXPECT_EQ(MakeAnchor(*log, "id").status().code(), StatusCode::kFailedPrecondition);
  Append(*log, 5);
  auto anchor = MakeAnchor(*log, "0123");
  ASSERT_TRUE(anchor.ok());
  EXPECT_EQ(anchor->seq, 5);
  const fs::path file = dir_.path() / "out" / AnchorFileName(*anchor);
  fs::create_directories(file.parent_path());
  EXPECT_EQ(WriteAnchorFile(*anchor, dir_.path() / "a" / "x.json", dir_.path() / "a").code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(WriteAnchorFile(*anchor, file, dir_.path() / "a").ok());
  auto read = ReadAnchors(file.parent_path());
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_EQ(read->size(), 1u);
  EXPECT_EQ((*read)[0].hash, anchor->hash);
  EXPECT_EQ((*read)[0].instance_id, "0123");
  Append(*log, 3);
  auto report = VerifyAgainstAnchor(*log, (*read)[0]);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->message;
}

TEST_F(AuditAnchorTest, FewerRecordsOrAnotherHashOrAForgeryFail) {
  auto log = OpenLog(dir_.path() / "a");
  Append(*log, 6);
  auto anchor = MakeAnchor(*log, "");
  ASSERT_TRUE(anchor.ok());
  {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open((dir_.path() / "a" / "audit.db").c_str(), &h), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(h,
                           "DROP TRIGGER audit_no_delete; DROP TRIGGER checkpoints_no_delete; "
                           "DELETE FROM audit WHERE seq > 4; DELETE FROM checkpoints",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(h);
  }
  auto truncated = VerifyAgainstAnchor(*log, *anchor);
  ASSERT_TRUE(truncated.ok());
  EXPECT_EQ(truncated->problem, AuditProblem::kTruncatedBelowAnchor);
  EXPECT_EQ(truncated->first_bad_seq, 5);
  EXPECT_NE(truncated->message.find("records 5..6 are missing"), std::string::npos)
      << truncated->message;
  Append(*log, 4);  // grows past the anchor again, on a different history
  auto differs = VerifyAgainstAnchor(*log, *anchor);
  ASSERT_TRUE(differs.ok());
  EXPECT_EQ(differs->problem, AuditProblem::kDiffersFromAnchor);

  AuditAnchor forged = *anchor;
  forged.seq = 3;
  EXPECT_EQ(VerifyAgainstAnchor(*log, forged)->problem, AuditProblem::kBadCheckpointSignature);
  auto other = OpenLog(dir_.path() / "b");
  Append(*other, 6);
  EXPECT_EQ(VerifyAgainstAnchor(*other, *anchor)->problem, AuditProblem::kBadCheckpointSignature);
  EXPECT_EQ(ParseAnchor("{\"format\":\"nope\"}", "x").status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace likeness::privacy
