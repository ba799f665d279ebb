// Issue 12, finding 4 (anchoring): "Deleting the newest records together with the checkpoints
// above them leaves `audit verify` saying intact." The attack, exactly: an attacker with write
// access to audit.db (but not to the anchors kept elsewhere) deletes the newest records and every
// checkpoint above what is left; then keeps using the system so the log grows past the anchor
// again. `audit verify` alone cannot see it (documented in docs/PRIVACY.md); `audit verify
// --anchor` names the gap. Also: anchors are refused inside the data folder, a forged anchor is
// refused, `serve --anchor-dir` writes anchors periodically, and a router (`serve --cluster`) puts
// them into the cluster's NATS key-value bucket.
#include <sqlite3.h>

#include "attack_env.h"
#include "cluster/nats_client.h"
#include "cluster/topology.h"

namespace likeness::redteam {
namespace {

// Runs `sql` on audit.db as an attacker with write access to the file would: the append-only
// triggers go first.
void Sql(const fs::path& db, const std::string& sql) {
  const std::string attack =
      "DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete; "
      "DROP TRIGGER IF EXISTS checkpoints_no_update; DROP TRIGGER IF EXISTS "
      "checkpoints_no_delete; " +
      sql;
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(h, attack.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(h);
}

class AuditAnchorAttack : public AttackEnv {
 protected:
  void Search(int n) {
    for (int i = 0; i < n; ++i) {
      auto r = L(Why({"search", Demo(1 + i % 3), "--json"}));
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
  }
};

TEST_F(AuditAnchorAttack, DeletingTheNewestRecordsWithTheirCheckpointsIsCaughtByAnAnchor) {
  IngestDemo("people", 1, 3);
  Search(3);
  const fs::path anchors = tmp_.path() / "anchors";
  fs::create_directories(anchors);
  const fs::path anchor = anchors / "head.json";
  // An anchor kept in the data folder would be deleted with the log: refused.
  auto r = L({"audit", "anchor", "--out", (data_ / "head.json").string()});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  r = L({"audit", "anchor", "--out", anchor.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const int64_t head = J(r)["seq"].get<int64_t>();
  ASSERT_GE(head, 5);
  r = L({"audit", "verify", "--anchor", anchor.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  // The attack: the two newest records go, with every checkpoint above what is left.
  const int64_t keep = head - 2;
  Sql(data_ / "audit.db", "DELETE FROM audit WHERE seq > " + std::to_string(keep) +
                              "; DELETE FROM checkpoints WHERE seq > " + std::to_string(keep));
  // Without an anchor the log looks intact: the limit this finding is about.
  r = L({"audit", "verify"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // With the anchor, verify fails and names the gap.
  r = L({"audit", "verify", "--anchor", anchor.string()});
  EXPECT_EQ(r.exit_code, 9) << r.out << r.err;
  EXPECT_NE(r.err.find("truncated below anchor"), std::string::npos) << r.err;
  const std::string gap =
      "records " + std::to_string(keep + 1) + ".." + std::to_string(head) + " are missing";
  EXPECT_NE(r.err.find(gap), std::string::npos) << r.err;
  r = L({"audit", "verify", "--anchor", anchor.string(), "--json"});
  EXPECT_EQ(J(r)["first_bad_seq"], keep + 1);

  // The attacker keeps working: new, well-formed records grow the log past the anchor again.
  Search(3);
  r = L({"audit", "verify"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = L({"audit", "verify", "--anchor", anchors.string()});  // a folder of anchors works too
  EXPECT_EQ(r.exit_code, 9) << r.err;
  EXPECT_NE(r.err.find("differs from anchor"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("rewritten at or before seq " + std::to_string(head)), std::string::npos)
      << r.err;

  // A forged anchor (moved back to what the log now holds) does not verify.
  std::string text = ReadAll(anchor);
  const std::string seq_field = "\"seq\": " + std::to_string(head);
  ASSERT_NE(text.find(seq_field), std::string::npos) << text;
  text.replace(text.find(seq_field), seq_field.size(), "\"seq\": " + std::to_string(keep));
  std::ofstream(anchor) << text;
  r = L({"audit", "verify", "--anchor", anchor.string()});
  EXPECT_EQ(r.exit_code, 9) << r.err;
  EXPECT_NE(r.err.find("does not verify"), std::string::npos) << r.err;
}

TEST_F(AuditAnchorAttack, ServeWritesAnchorsPeriodicallyOutsideTheDataFolder) {
  IngestDemo("people", 1, 2);
  // Refused inside the data folder.
  auto r = L({"serve", "--port", "0", "--anchor-dir", (data_ / "anchors").string()});
  EXPECT_EQ(r.exit_code, 3) << r.err;

  const fs::path anchors = tmp_.path() / "anchors";
  const pid_t pid = Spawn("serve", {"serve", "--port", "0", "--threads", "1", "--anchor-dir",
                                    anchors.string(), "--anchor-every", "1"});
  ASSERT_FALSE(WaitForErr("serve", "on http://").empty()) << ReadAll(tmp_.path() / "serve.err");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while ((!fs::exists(anchors) || fs::is_empty(anchors)) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(Stop(pid, SIGTERM), 0) << ReadAll(tmp_.path() / "serve.err");
  ASSERT_TRUE(fs::exists(anchors) && !fs::is_empty(anchors)) << "no anchor was written";
  r = L({"audit", "verify", "--anchor", anchors.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GE(J(r)["anchors_checked"].get<int64_t>(), 1);

  Sql(data_ / "audit.db", "DELETE FROM audit WHERE seq > 1; DELETE FROM checkpoints");
  r = L({"audit", "verify", "--anchor", anchors.string()});
  EXPECT_EQ(r.exit_code, 9) << r.err;
  EXPECT_NE(r.err.find("truncated below anchor"), std::string::npos) << r.err;
}

TEST_F(AuditAnchorAttack, ARouterPutsItsAnchorsIntoTheClusterBucket) {
  ASSERT_TRUE(fs::exists("/usr/sbin/nats-server") || fs::exists("/usr/bin/nats-server"))
      << "nats-server is not installed (scripts/setup installs it)";
  IngestDemo("people", 1, 2);
  const int port = 20000 + static_cast<int>(::getpid() % 20000);
  const std::string url = "nats://127.0.0.1:" + std::to_string(port);
  const pid_t nats = fork();
  if (nats == 0) {
    const std::string store = (tmp_.path() / "nats").string();
    const std::string p = std::to_string(port);
    FILE* e = freopen((tmp_.path() / "nats.err").c_str(), "w", stderr);
    (void)e;
    execlp("nats-server", "nats-server", "-js", "-sd", store.c_str(), "-a", "127.0.0.1", "-p",
           p.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));
  auto r = L({"cluster", "init", "--nats", url, "--shards", "1", "--replicas", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path anchors = tmp_.path() / "anchors";
  const pid_t router = Spawn("router", {"--cluster", url, "serve", "--port", "0", "--threads", "1",
                                        "--anchor-dir", anchors.string(), "--anchor-every", "1"});
  ASSERT_FALSE(WaitForErr("router", "on http://").empty()) << ReadAll(tmp_.path() / "router.err");
  std::string id;
  std::ifstream(data_ / "instance.id") >> id;
  auto conn = cluster::NatsConnection::Connect(url, "anchor-test");
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  std::optional<std::string> kv;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!kv && std::chrono::steady_clock::now() < deadline) {
    auto got = (*conn)->KvGet(cluster::kClusterBucket, "audit-anchor." + id);
    if (got.ok()) kv = *got;
    if (!kv) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(Stop(router, SIGTERM), 0) << ReadAll(tmp_.path() / "router.err");
  Stop(nats, SIGTERM);
  ASSERT_TRUE(kv) << "no anchor in " << cluster::kClusterBucket;
  // The bucket's copy is a valid anchor of this log.
  const fs::path from_kv = tmp_.path() / "from-kv.json";
  std::ofstream(from_kv) << *kv;
  r = L({"audit", "verify", "--anchor", from_kv.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

}  // namespace
}  // namespace likeness::redteam
