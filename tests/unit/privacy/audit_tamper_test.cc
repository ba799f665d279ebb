// Tampering with audit.db behind the log's back, the way someone with write access to the data
// folder could, and checking that Verify names the damage and where it starts.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "common/hash.h"
#include "privacy/audit_log.h"
#include "privacy/instance_key.h"
#include "raw_sqlite.h"
#include "testing/test_env.h"

namespace likeness::privacy {
namespace {

constexpr int kRecords = 30;
constexpr int kInterval = 10;  // checkpoints at 10, 20, 30

class AuditTamperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AuditLogOptions o;
    o.db_path = db_path();
    o.key_path = dir_.path() / "instance.key";
    o.checkpoint_interval = kInterval;
    Result<std::unique_ptr<AuditLog>> log = AuditLog::Open(o);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    log_ = std::move(log).value();
    for (int i = 1; i <= kRecords; ++i) {
      AuditEntry e;
      e.operator_id = i % 2 ? "alice" : "bob";
      e.action = "search";
      e.purpose = "purpose " + std::to_string(i);
      e.legal_basis = "art6-1-e";
      e.case_ref = "case-" + std::to_string(i % 3);
      e.probe_hash = std::string(64, 'f');
      e.result_count = i;
      ASSERT_TRUE(log_->Append(e).ok());
    }
    AuditQuery q;
    q.limit = kRecords;
    original_ = *log_->Query(q);
    ASSERT_EQ(original_.size(), static_cast<size_t>(kRecords));
    raw_ = std::make_unique<testing::RawSqlite>(db_path());
    // Anyone who can write the file can drop the append-only triggers first.
    raw_->Exec(
        "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; "
        "DROP TRIGGER checkpoints_no_update; DROP TRIGGER checkpoints_no_delete;");
  }

  std::filesystem::path db_path() const { return dir_.path() / "audit.db"; }

  AuditVerifyReport Verify() {
    Result<AuditVerifyReport> report = log_->Verify();
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : AuditVerifyReport{};
  }

  // Writes every column of `e` into the row with seq `at_seq` (inserting it if absent).
  void WriteRow(int64_t at_seq, const AuditEntry& e) {
    sqlite3_stmt* s = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(raw_->handle(),
                                 "INSERT OR REPLACE INTO audit(seq, at, operator, action, purpose, "
                                 "legal_basis, case_ref, probe_hash, result_count, details, "
                                 "prev_hash, hash) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
                                 -1, &s, nullptr),
              SQLITE_OK);
    const std::string* texts[] = {&e.at,          &e.operator_id, &e.action,    &e.purpose,
                                  &e.legal_basis, &e.case_ref,    &e.probe_hash};
    sqlite3_bind_int64(s, 1, at_seq);
    for (int i = 0; i < 7; ++i)
      sqlite3_bind_text(s, i + 2, texts[i]->c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 9, e.result_count);
    sqlite3_bind_text(s, 10, e.details.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 11, e.prev_hash.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 12, e.hash.c_str(), -1, SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(s), SQLITE_DONE);
    sqlite3_finalize(s);
  }

  // Moves rows with seq > after up by `by` (through negative seqs, to dodge the primary key).
  void ShiftUp(int64_t after, int64_t by) {
    raw_->Exec("UPDATE audit SET seq = -(seq + " + std::to_string(by) + ") WHERE seq > " +
               std::to_string(after));
    raw_->Exec("UPDATE audit SET seq = -seq WHERE seq < 0");
  }
  void ShiftDown(int64_t after, int64_t by) {
    raw_->Exec("UPDATE audit SET seq = -(seq - " + std::to_string(by) + ") WHERE seq > " +
               std::to_string(after));
    raw_->Exec("UPDATE audit SET seq = -seq WHERE seq < 0");
  }

  // A well-formed record claiming position `seq` after `prev` (the attacker knows the hash rule).
  static AuditEntry Forged(int64_t seq, const std::string& prev) {
    AuditEntry f;
    f.seq = seq;
    f.at = "2026-01-01T00:00:00.000000Z";
    f.operator_id = "mallory";
    f.action = "search";
    f.purpose = "nothing to see";
    f.legal_basis = "art6-1-f";
    f.case_ref = "none";
    f.probe_hash = std::string(64, '0');
    f.result_count = 0;
    f.details = "{}";
    f.prev_hash = prev;
    f.hash = RecordHash(f);
    return f;
  }

  void ExpectProblem(AuditProblem problem, int64_t first_bad_seq) {
    const AuditVerifyReport r = Verify();
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(AuditProblemName(r.problem), AuditProblemName(problem)) << r.message;
    EXPECT_EQ(r.first_bad_seq, first_bad_seq) << r.message;
    EXPECT_EQ(r.records_checked, first_bad_seq - 1) << r.message;
    EXPECT_FALSE(r.message.empty());
  }

  likeness::testing::TempDir dir_;
  std::unique_ptr<AuditLog> log_;
  std::unique_ptr<testing::RawSqlite> raw_;
  std::vector<AuditEntry> original_;  // original_[i] has seq i + 1
};

TEST_F(AuditTamperTest, UntouchedLogVerifies) {
  const AuditVerifyReport r = Verify();
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.records_checked, kRecords);
  EXPECT_EQ(r.checkpoints_checked, 3);
}

TEST_F(AuditTamperTest, EditedFieldIsDetected) {
  raw_->Exec("UPDATE audit SET purpose = 'routine check' WHERE seq = 12");
  ExpectProblem(AuditProblem::kEdited, 12);
}

TEST_F(AuditTamperTest, EditedCountIsDetected) {
  raw_->Exec("UPDATE audit SET result_count = 0 WHERE seq = 5");
  ExpectProblem(AuditProblem::kEdited, 5);
}

TEST_F(AuditTamperTest, EditedHashOrPrevHashIsDetected) {
  raw_->Exec("UPDATE audit SET hash = '" + std::string(64, 'e') + "' WHERE seq = 7");
  ExpectProblem(AuditProblem::kEdited, 7);
  raw_->Exec("UPDATE audit SET hash = '" + original_[6].hash + "' WHERE seq = 7");
  EXPECT_TRUE(Verify().ok);
  raw_->Exec("UPDATE audit SET prev_hash = '" + std::string(64, 'e') + "' WHERE seq = 3");
  ExpectProblem(AuditProblem::kEdited, 3);
}

TEST_F(AuditTamperTest, EditedAndRehashedRecordIsDetected) {
  AuditEntry e = original_[11];
  e.operator_id = "someone-else";
  e.hash = RecordHash(e);
  WriteRow(12, e);
  ExpectProblem(AuditProblem::kEdited, 12);
}

TEST_F(AuditTamperTest, DeletedMiddleRecordIsDetected) {
  raw_->Exec("DELETE FROM audit WHERE seq = 15");
  ExpectProblem(AuditProblem::kDeleted, 15);
}

TEST_F(AuditTamperTest, DeletedAndRenumberedRecordsAreDetected) {
  raw_->Exec("DELETE FROM audit WHERE seq IN (15, 16)");
  ShiftDown(16, 2);
  ExpectProblem(AuditProblem::kDeleted, 15);
}

TEST_F(AuditTamperTest, SwappedRowsAreDetectedAsReordered) {
  WriteRow(7, original_[7]);  // seq 7 now holds record 8's content
  WriteRow(8, original_[6]);  // and seq 8 record 7's
  ExpectProblem(AuditProblem::kReordered, 7);
}

TEST_F(AuditTamperTest, DistantSwapIsDetectedAsReordered) {
  WriteRow(4, original_[17]);
  WriteRow(18, original_[3]);
  ExpectProblem(AuditProblem::kReordered, 4);
}

TEST_F(AuditTamperTest, InsertedForgedRowIsDetected) {
  ShiftUp(20, 1);  // make room at 21
  WriteRow(21, Forged(21, original_[19].hash));
  ExpectProblem(AuditProblem::kInserted, 21);
}

TEST_F(AuditTamperTest, InsertedForgedRowAfterItsRivalIsDetected) {
  // The forged record claims to follow record 20 but is stored after the genuine record 21.
  ShiftUp(21, 1);
  WriteRow(22, Forged(21, original_[19].hash));
  ExpectProblem(AuditProblem::kInserted, 22);
}

TEST_F(AuditTamperTest, DuplicatedRowIsDetectedAsInserted) {
  ShiftUp(9, 1);
  WriteRow(10, original_[8]);  // a copy of record 9 at seq 10
  ExpectProblem(AuditProblem::kInserted, 10);
}

TEST_F(AuditTamperTest, DeletedTailAfterCheckpointIsDetected) {
  raw_->Exec("DELETE FROM audit WHERE seq > 25");
  ExpectProblem(AuditProblem::kTruncatedAfterCheckpoint, 26);
}

TEST_F(AuditTamperTest, DeletedTailAcrossSeveralCheckpointsIsDetected) {
  raw_->Exec("DELETE FROM audit WHERE seq > 8");
  ExpectProblem(AuditProblem::kTruncatedAfterCheckpoint, 9);
}

TEST_F(AuditTamperTest, CorruptedCheckpointSignatureIsDetected) {
  const std::string sig = raw_->QueryBytes("SELECT signature FROM checkpoints WHERE seq = 20");
  ASSERT_EQ(sig.size(), 128u);
  std::string bad = sig;
  bad[10] = bad[10] == '0' ? '1' : '0';
  raw_->Exec("UPDATE checkpoints SET signature = '" + bad + "' WHERE seq = 20");
  ExpectProblem(AuditProblem::kBadCheckpointSignature, 20);
  raw_->Exec("UPDATE checkpoints SET signature = 'zz' WHERE seq = 20");
  ExpectProblem(AuditProblem::kBadCheckpointSignature, 20);
}

TEST_F(AuditTamperTest, CheckpointAlteredToMatchATruncatedLogIsDetected) {
  raw_->Exec("DELETE FROM audit WHERE seq > 25");
  raw_->Exec("UPDATE checkpoints SET seq = 25, hash = '" + original_[24].hash + "' WHERE seq = 30");
  ExpectProblem(AuditProblem::kBadCheckpointSignature, 25);
}

TEST_F(AuditTamperTest, CheckpointResignedWithAnotherKeyIsDetected) {
  // Rewrite the chain from record 15 on, then re-sign checkpoints 20 and 30 with the attacker's own
  // key (valid signatures, their public key): only the instance's key counts.
  likeness::testing::TempDir other_dir;
  Result<InstanceKey> mallory = InstanceKey::LoadOrCreate(other_dir.path() / "instance.key");
  ASSERT_TRUE(mallory.ok());
  std::string prev = original_[13].hash;
  for (int seq = 15; seq <= kRecords; ++seq) {
    AuditEntry e = original_[static_cast<size_t>(seq - 1)];
    if (seq == 15) e.purpose = "rewritten";
    e.prev_hash = prev;
    e.hash = RecordHash(e);
    WriteRow(seq, e);
    prev = e.hash;
    if (seq % kInterval == 0) {
      const std::string at =
          raw_->QueryBytes("SELECT at FROM checkpoints WHERE seq = " + std::to_string(seq));
      const auto sig = mallory->Sign(CheckpointMessage(seq, e.hash, at));
      raw_->Exec("UPDATE checkpoints SET hash = '" + e.hash + "', signature = '" + ToHex(sig) +
                 "', public_key = '" + mallory->public_key_hex() +
                 "' WHERE seq = " + std::to_string(seq));
    }
  }
  ExpectProblem(AuditProblem::kBadCheckpointSignature, 20);
}

TEST_F(AuditTamperTest, RewrittenChainIsCaughtByTheCheckpoint) {
  // Edit record 15 and re-hash everything after it: the chain is self-consistent again, but the
  // checkpoint signed at 20 no longer matches. Trust ends after the last good checkpoint (10).
  std::string prev = original_[13].hash;
  for (int seq = 15; seq <= kRecords; ++seq) {
    AuditEntry e = original_[static_cast<size_t>(seq - 1)];
    if (seq == 15) e.purpose = "rewritten";
    e.prev_hash = prev;
    e.hash = RecordHash(e);
    WriteRow(seq, e);
    prev = e.hash;
  }
  ExpectProblem(AuditProblem::kEdited, 11);
}

TEST_F(AuditTamperTest, TheLowestProblemIsReported) {
  raw_->Exec("UPDATE audit SET purpose = 'late edit' WHERE seq = 22");
  raw_->Exec("UPDATE checkpoints SET signature = '" + std::string(128, '0') + "' WHERE seq = 10");
  ExpectProblem(AuditProblem::kBadCheckpointSignature, 10);
}

TEST_F(AuditTamperTest, AppendKeepsWorkingOnADamagedLog) {
  raw_->Exec("UPDATE audit SET purpose = 'x' WHERE seq = 12");
  AuditEntry e;
  e.action = "search";
  Result<int64_t> seq = log_->Append(e);
  ASSERT_TRUE(seq.ok()) << seq.status().ToString();
  EXPECT_EQ(*seq, kRecords + 1);
  ExpectProblem(AuditProblem::kEdited, 12);
}

}  // namespace
}  // namespace likeness::privacy
