#include "privacy/audit_log.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "privacy/instance_key.h"
#include "raw_sqlite.h"
#include "testing/test_env.h"

namespace likeness::privacy {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

// 2026-03-01T00:00:00Z, then one second later on every call.
std::function<system_clock::time_point()> SteppingClock() {
  auto ticks = std::make_shared<std::atomic<int64_t>>(0);
  return [ticks] { return system_clock::time_point(seconds(1772323200 + ticks->fetch_add(1))); };
}

AuditEntry Entry(int i, const std::string& op = "alice", const std::string& case_ref = "case-1") {
  AuditEntry e;
  e.operator_id = op;
  e.action = i % 2 == 0 ? "search" : "ingest";
  e.purpose = "investigation " + std::to_string(i);
  e.legal_basis = "art6-1-e";
  e.case_ref = case_ref;
  e.probe_hash = std::string(64, 'a' + static_cast<char>(i % 6));
  e.result_count = i;
  e.details = R"({"n":)" + std::to_string(i) + "}";
  return e;
}

class AuditLogTest : public ::testing::Test {
 protected:
  AuditLogOptions Options(int64_t interval = 10) {
    AuditLogOptions o;
    o.db_path = dir_.path() / "audit.db";
    o.key_path = dir_.path() / "instance.key";
    o.checkpoint_interval = interval;
    o.clock = SteppingClock();
    return o;
  }
  std::unique_ptr<AuditLog> OpenLog(int64_t interval = 10) {
    Result<std::unique_ptr<AuditLog>> log = AuditLog::Open(Options(interval));
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    return log.ok() ? std::move(log).value() : nullptr;
  }
  std::vector<AuditEntry> All(AuditLog& log) {
    AuditQuery q;
    q.limit = 1'000'000;
    Result<std::vector<AuditEntry>> all = log.Query(q);
    EXPECT_TRUE(all.ok());
    return all.ok() ? *all : std::vector<AuditEntry>{};
  }

  likeness::testing::TempDir dir_;
};

TEST_F(AuditLogTest, AppendsManyAndVerifies) {
  auto log = OpenLog(10);
  for (int i = 1; i <= 250; ++i) {
    Result<int64_t> seq = log->Append(Entry(i));
    ASSERT_TRUE(seq.ok()) << seq.status().ToString();
    EXPECT_EQ(*seq, i);
  }
  Result<AuditVerifyReport> report = log->Verify();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok) << report->message;
  EXPECT_EQ(report->records_checked, 250);
  EXPECT_EQ(report->checkpoints_checked, 25);
  EXPECT_EQ(report->first_bad_seq, 0);
  EXPECT_EQ(report->problem, AuditProblem::kNone);
}

TEST_F(AuditLogTest, RecordsAreChainedFromGenesis) {
  auto log = OpenLog();
  for (int i = 1; i <= 5; ++i) ASSERT_TRUE(log->Append(Entry(i)).ok());
  const std::vector<AuditEntry> all = All(*log);
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[0].prev_hash, kGenesisHash);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].seq, static_cast<int64_t>(i + 1));
    EXPECT_EQ(all[i].hash, RecordHash(all[i]));
    EXPECT_EQ(all[i].hash.size(), 64u);
    if (i > 0) {
      EXPECT_EQ(all[i].prev_hash, all[i - 1].hash);
    }
  }
  EXPECT_EQ(all[0].at, "2026-03-01T00:00:00.000000Z");
  EXPECT_EQ(all[2].operator_id, "alice");
  EXPECT_EQ(all[2].purpose, "investigation 3");
  EXPECT_EQ(all[2].result_count, 3);
}

TEST_F(AuditLogTest, ChainContinuesAcrossReopen) {
  {
    auto log = OpenLog();
    for (int i = 1; i <= 7; ++i) ASSERT_TRUE(log->Append(Entry(i)).ok());
  }
  auto log = OpenLog();
  EXPECT_EQ(*log->Append(Entry(8)), 8);
  Result<AuditVerifyReport> report = log->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->message;
  EXPECT_EQ(report->records_checked, 8);
}

TEST_F(AuditLogTest, EmptyLogVerifies) {
  auto log = OpenLog();
  Result<AuditVerifyReport> report = log->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok);
  EXPECT_EQ(report->records_checked, 0);
}

TEST_F(AuditLogTest, DetailsAreCanonicalJsonObjects) {
  auto log = OpenLog();
  AuditEntry e = Entry(1);
  e.details = R"({ "b": 1,  "a": [true, null] })";
  ASSERT_TRUE(log->Append(e).ok());
  e.details = "";
  ASSERT_TRUE(log->Append(e).ok());
  const std::vector<AuditEntry> all = All(*log);
  EXPECT_EQ(all[0].details, R"({"a":[true,null],"b":1})");
  EXPECT_EQ(all[1].details, "{}");

  for (const char* bad : {"[1,2]", "not json", "42", "{\"a\":", "\"text\""}) {
    e.details = bad;
    Result<int64_t> seq = log->Append(e);
    ASSERT_FALSE(seq.ok()) << bad;
    EXPECT_EQ(seq.status().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(All(*log).size(), 2u);
}

TEST_F(AuditLogTest, FieldBoundariesAreUnambiguous) {
  AuditEntry a = Entry(1);
  AuditEntry b = a;
  a.purpose = "ab";
  a.case_ref = "c";
  b.purpose = "a";
  b.case_ref = "bc";
  EXPECT_NE(CanonicalRecordEncoding(a), CanonicalRecordEncoding(b));
  EXPECT_NE(RecordHash(a), RecordHash(b));
  b = a;
  b.seq = 1;
  a.seq = 11;
  EXPECT_NE(RecordHash(a), RecordHash(b));
  EXPECT_EQ(CheckpointMessage(7, "abc", "2026-03-01T00:00:00.000000Z"),
            "likeness-audit-checkpoint|7|abc|2026-03-01T00:00:00.000000Z");
}

TEST_F(AuditLogTest, AutomaticCheckpointsEveryNRecords) {
  auto log = OpenLog(4);
  for (int i = 1; i <= 10; ++i) ASSERT_TRUE(log->Append(Entry(i)).ok());
  Result<std::vector<AuditCheckpoint>> cps = log->Checkpoints();
  ASSERT_TRUE(cps.ok());
  ASSERT_EQ(cps->size(), 2u);
  EXPECT_EQ((*cps)[0].seq, 4);
  EXPECT_EQ((*cps)[1].seq, 8);
  const std::vector<AuditEntry> all = All(*log);
  EXPECT_EQ((*cps)[1].hash, all[7].hash);
  EXPECT_EQ((*cps)[1].public_key, log->public_key_hex());
}

TEST_F(AuditLogTest, IntervalZeroMeansOnlyOnDemand) {
  auto log = OpenLog(0);
  for (int i = 1; i <= 120; ++i) ASSERT_TRUE(log->Append(Entry(i)).ok());
  EXPECT_TRUE(log->Checkpoints()->empty());
}

TEST_F(AuditLogTest, CheckpointOnDemandIsSignedAndNotDuplicated) {
  auto log = OpenLog(0);
  Result<AuditCheckpoint> empty = log->Checkpoint();
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kFailedPrecondition);

  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(log->Append(Entry(i)).ok());
  Result<AuditCheckpoint> cp = log->Checkpoint();
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  EXPECT_EQ(cp->seq, 3);
  EXPECT_EQ(cp->hash, All(*log)[2].hash);

  Result<InstanceKey> key = InstanceKey::Load(dir_.path() / "instance.key");
  ASSERT_TRUE(key.ok());
  std::vector<uint8_t> sig(cp->signature.size() / 2);
  for (size_t i = 0; i < sig.size(); ++i)
    sig[i] = std::stoi(cp->signature.substr(2 * i, 2), nullptr, 16);
  EXPECT_TRUE(InstanceKey::VerifySignature(key->public_key(),
                                           CheckpointMessage(cp->seq, cp->hash, cp->at), sig));
  EXPECT_FALSE(InstanceKey::VerifySignature(key->public_key(),
                                            CheckpointMessage(cp->seq + 1, cp->hash, cp->at), sig));

  Result<AuditCheckpoint> again = log->Checkpoint();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->at, cp->at);
  EXPECT_EQ(log->Checkpoints()->size(), 1u);

  ASSERT_TRUE(log->Append(Entry(4)).ok());
  EXPECT_EQ(log->Checkpoint()->seq, 4);
  EXPECT_EQ(log->Checkpoints()->size(), 2u);
  EXPECT_EQ(log->Verify()->checkpoints_checked, 2);
}

TEST_F(AuditLogTest, QueryFilters) {
  auto log = OpenLog();
  for (int i = 1; i <= 12; ++i) {
    ASSERT_TRUE(
        log->Append(Entry(i, i <= 4 ? "alice" : "bob", i % 3 == 0 ? "case-9" : "case-1")).ok());
  }
  const std::vector<AuditEntry> all = All(*log);
  const auto seqs = [&](const AuditQuery& q) {
    Result<std::vector<AuditEntry>> r = log->Query(q);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<int64_t> out;
    for (const AuditEntry& e : *r) out.push_back(e.seq);
    return out;
  };

  AuditQuery q;
  q.operator_id = "alice";
  EXPECT_EQ(seqs(q), (std::vector<int64_t>{1, 2, 3, 4}));
  q = {};
  q.case_ref = "case-9";
  EXPECT_EQ(seqs(q), (std::vector<int64_t>{3, 6, 9, 12}));
  q.operator_id = "bob";
  EXPECT_EQ(seqs(q), (std::vector<int64_t>{6, 9, 12}));
  q.action = "search";
  EXPECT_EQ(seqs(q), (std::vector<int64_t>{6, 12}));
  q = {};
  q.action = "ingest";
  q.limit = 2;
  EXPECT_EQ(seqs(q), (std::vector<int64_t>{1, 3}));
  q.newest_first = true;
  EXPECT_EQ(seqs(q), (std::vector<int64_t>{11, 9}));
  q = {};
  q.from = all[4].at;  // inclusive
  q.to = all[7].at;    // exclusive
  EXPECT_EQ(seqs(q), (std::vector<int64_t>{5, 6, 7}));
  q = {};
  q.from = "2026-03-01";
  q.to = "2026-03-02";
  EXPECT_EQ(seqs(q).size(), 12u);
  q.from = "2026-03-02";
  EXPECT_TRUE(seqs(q).empty());
  q = {};
  q.operator_id = "nobody";
  EXPECT_TRUE(seqs(q).empty());

  q = {};
  q.limit = 0;
  EXPECT_EQ(log->Query(q).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(AuditLogTest, ConcurrentAppendsFormOneChain) {
  auto log = OpenLog(10);
  constexpr int kThreads = 4;
  constexpr int kEach = 50;
  std::vector<std::thread> threads;
  std::atomic<int> failures = 0;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        if (!log->Append(Entry(i, "op" + std::to_string(t))).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures, 0);
  Result<AuditVerifyReport> report = log->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->message;
  EXPECT_EQ(report->records_checked, kThreads * kEach);
  EXPECT_EQ(report->checkpoints_checked, kThreads * kEach / 10);
}

TEST_F(AuditLogTest, TwoHandlesOnOneFileShareTheChain) {
  auto a = OpenLog();
  auto b = OpenLog();
  for (int i = 1; i <= 6; ++i) ASSERT_TRUE((i % 2 ? a : b)->Append(Entry(i)).ok());
  EXPECT_TRUE(a->Verify()->ok);
  EXPECT_EQ(b->Verify()->records_checked, 6);
}

TEST_F(AuditLogTest, TheTableRefusesCasualUpdatesAndDeletes) {
  auto log = OpenLog();
  ASSERT_TRUE(log->Append(Entry(1)).ok());
  testing::RawSqlite raw(dir_.path() / "audit.db");
  EXPECT_NE(raw.TryExec("UPDATE audit SET purpose = 'x' WHERE seq = 1"), SQLITE_OK);
  EXPECT_NE(raw.TryExec("DELETE FROM audit WHERE seq = 1"), SQLITE_OK);
  EXPECT_TRUE(log->Verify()->ok);
}

TEST_F(AuditLogTest, UsesWalAndCreatesAPrivateKeyFile) {
  auto log = OpenLog();
  ASSERT_TRUE(log->Append(Entry(1)).ok());
  testing::RawSqlite raw(dir_.path() / "audit.db");
  EXPECT_EQ(raw.QueryBytes("PRAGMA journal_mode"), "wal");
  struct stat st {};
  ASSERT_EQ(::stat((dir_.path() / "instance.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(log->public_key_hex().size(), 64u);
}

TEST_F(AuditLogTest, DataDirLayout) {
  const AuditLogOptions o = AuditLogOptionsForDataDir(dir_.path());
  EXPECT_EQ(o.db_path, dir_.path() / "audit.db");
  EXPECT_TRUE(o.key_path.empty());  // found in the key folder, outside the data folder
  EXPECT_EQ(o.data_dir, dir_.path());
  EXPECT_EQ(o.checkpoint_interval, 100);
  Result<std::unique_ptr<AuditLog>> log = AuditLog::Open(o);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ASSERT_TRUE((*log)->Append(Entry(1)).ok());
  EXPECT_GE((*log)->Query({})->front().at, "2020-01-01");
}

TEST_F(AuditLogTest, RejectsBadOptions) {
  AuditLogOptions o = Options();
  o.db_path.clear();
  EXPECT_EQ(AuditLog::Open(o).status().code(), StatusCode::kInvalidArgument);
  o = Options();
  o.key_path.clear();
  EXPECT_EQ(AuditLog::Open(o).status().code(), StatusCode::kInvalidArgument);
  o = Options();
  o.checkpoint_interval = -1;
  EXPECT_EQ(AuditLog::Open(o).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(AuditLogTest, ProblemNames) {
  EXPECT_EQ(AuditProblemName(AuditProblem::kNone), "ok");
  EXPECT_EQ(AuditProblemName(AuditProblem::kEdited), "edited");
  EXPECT_EQ(AuditProblemName(AuditProblem::kDeleted), "deleted");
  EXPECT_EQ(AuditProblemName(AuditProblem::kReordered), "reordered");
  EXPECT_EQ(AuditProblemName(AuditProblem::kInserted), "inserted");
  EXPECT_EQ(AuditProblemName(AuditProblem::kBadCheckpointSignature), "bad checkpoint signature");
  EXPECT_EQ(AuditProblemName(AuditProblem::kTruncatedAfterCheckpoint),
            "truncated after checkpoint");
}

}  // namespace
}  // namespace likeness::privacy
