// The cluster's NATS credentials (nkey seed files) and the per-role permissions written into the
// nats-server authorization config. The live refusals are tested against a real nats-server in
// tests/redteam/cluster/; here the permission tables are checked with NATS's subject matching.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cluster/auth_config.h"
#include "cluster/nats_auth.h"

namespace likeness::cluster {
namespace {

namespace fs = std::filesystem;

// NATS subject matching: '*' matches one token, '>' the rest (one or more tokens).
bool Matches(const std::string& pattern, const std::string& subject) {
  auto split = [](const std::string& s) {
    std::vector<std::string> out;
    std::stringstream in(s);
    for (std::string t; std::getline(in, t, '.');) out.push_back(t);
    return out;
  };
  const auto p = split(pattern), t = split(subject);
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == ">") return t.size() > i;
    if (i >= t.size() || (p[i] != "*" && p[i] != t[i])) return false;
  }
  return p.size() == t.size();
}

bool Allowed(const std::vector<std::string>& allow, const std::string& subject) {
  for (const auto& p : allow) {
    if (Matches(p, subject)) return true;
  }
  return false;
}

fs::path TempDir(const std::string& name) {
  fs::path d =
      fs::temp_directory_path() / ("likeness-auth-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  return d;
}

std::string Slurp(const fs::path& p) {
  std::ifstream f(p);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

TEST(ClusterAuth, SubjectMatcherFollowsNats) {
  EXPECT_TRUE(Matches("lk.shard.*.store", "lk.shard.3.store"));
  EXPECT_FALSE(Matches("lk.shard.*.store", "lk.shard.3.ctl"));
  EXPECT_TRUE(Matches("_LK.worker.>", "_LK.worker.abc.1"));
  EXPECT_FALSE(Matches("_LK.worker.>", "_LK.worker"));
  EXPECT_FALSE(Matches("lk.search.*", "lk.search.1.x"));
}

TEST(ClusterAuth, CredentialFileRoundTripsAndIsChecked) {
  const fs::path dir = TempDir("cred");
  fs::create_directories(dir);
  auto cred = GenerateCredential("worker");
  ASSERT_TRUE(cred.ok()) << cred.status().ToString();
  EXPECT_EQ(cred->public_key.size(), 56u);
  EXPECT_EQ(cred->public_key[0], 'U');
  const std::string text = CredentialFileText(*cred);
  const fs::path path = dir / "worker.creds";
  std::ofstream(path) << text;
  ::chmod(path.c_str(), 0600);
  auto loaded = LoadCredential(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->role, "worker");
  EXPECT_EQ(loaded->public_key, cred->public_key);
  auto a = SignWithCredential(*cred, "nonce");
  auto b = SignWithCredential(*loaded, "nonce");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(a->size(), 64u);

  ::chmod(path.c_str(), 0644);  // readable by others: refused
  EXPECT_EQ(LoadCredential(path).status().code(), StatusCode::kPermissionDenied);

  // A damaged seed is refused by its checksum, never used as another key.
  std::string damaged = text;
  const size_t seed_at = damaged.find("\nSU") + 10;
  damaged[seed_at] = damaged[seed_at] == 'A' ? 'B' : 'A';
  std::ofstream(path, std::ios::trunc) << damaged;
  ::chmod(path.c_str(), 0600);
  EXPECT_EQ(LoadCredential(path).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(LoadCredential(dir / "absent.creds").status().code(), StatusCode::kNotFound);
  fs::remove_all(dir);
}

TEST(ClusterAuth, WorkerMayOnlyPullJobsAndWriteImageEntries) {
  auto p = PermissionsFor("worker", 2);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(Allowed(p->publish, "lk.shard.0.store"));
  EXPECT_TRUE(Allowed(p->publish, "$JS.API.CONSUMER.MSG.NEXT.LK_JOBS.workers"));
  for (const char* s :
       {"lk.shard.0.ctl", "lk.search.0", "lk.media.1", "lk.jobs", "$KV.LK_RECEIPTS.er-1.request",
        "$KV.LK_RECEIPTS.er-1.s0.r0", "$KV.LK_CLUSTER.shardmap", "$KV.LK_CLUSTER.replica.0.0",
        "$JS.API.STREAM.DELETE.LK_SHARD_0", "$JS.API.STREAM.PURGE.LK_JOBS",
        "$JS.API.CONSUMER.MSG.NEXT.LK_SHARD_0.replica-0", "$JS.API.STREAM.MSG.DELETE.LK_SHARD_0",
        "$JS.API.CONSUMER.CREATE.LK_SHARD_0", "$JS.ACK.LK_SHARD_0.replica-0.1.1.1.1.1"}) {
    EXPECT_FALSE(Allowed(p->publish, s)) << s;
  }
  for (const char* s : {"lk.search.0", "lk.shard.0.store", "lk.shard.0.ctl", "_LK.router.x",
                        "_LK.shard-0.x", "_INBOX.x", ">"}) {
    EXPECT_FALSE(Allowed(p->subscribe, s)) << s;
  }
  EXPECT_FALSE(p->allow_responses);
}

TEST(ClusterAuth, RouterSearchesAndErasesButNeverAnswersOrStores) {
  auto p = PermissionsFor("router", 2);
  ASSERT_TRUE(p.ok());
  for (const char* s :
       {"lk.search.1", "lk.media.0", "lk.shard.1.ctl", "lk.jobs", "$KV.LK_RECEIPTS.er-1.request"}) {
    EXPECT_TRUE(Allowed(p->publish, s)) << s;
  }
  for (const char* s :
       {"lk.shard.1.store", "$KV.LK_RECEIPTS.er-1.s0.r0", "$JS.API.STREAM.DELETE.LK_SHARD_1",
        "$JS.API.CONSUMER.MSG.NEXT.LK_SHARD_1.replica-0",
        "$JS.API.CONSUMER.MSG.NEXT.LK_JOBS.workers", "$JS.API.STREAM.MSG.GET.LK_SHARD_0",
        "$KV.LK_CLUSTER.shardmap"}) {
    EXPECT_FALSE(Allowed(p->publish, s)) << s;
  }
  for (const char* s : {"lk.search.1", "lk.shard.1.ctl", "_LK.worker.x", "_LK.shard-1.x"}) {
    EXPECT_FALSE(Allowed(p->subscribe, s)) << s;
  }
  EXPECT_TRUE(Allowed(p->subscribe, "_LK.router.abc"));
}

TEST(ClusterAuth, ShardConsumesOnlyItsOwnLogAndAnswersOnlyItsOwnSearches) {
  auto p = PermissionsFor("shard-1", 2);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(Allowed(p->subscribe, "lk.search.1"));
  EXPECT_TRUE(Allowed(p->publish, "$JS.API.CONSUMER.MSG.NEXT.LK_SHARD_1.replica-0"));
  EXPECT_TRUE(Allowed(p->publish, "$KV.LK_RECEIPTS.er-1.s1.r0"));
  EXPECT_TRUE(p->allow_responses);
  for (const char* s : {"lk.search.0", "lk.media.0", "lk.shard.1.ctl", "_LK.router.x"}) {
    EXPECT_FALSE(Allowed(p->subscribe, s)) << s;
  }
  for (const char* s : {"lk.shard.1.store", "lk.shard.1.ctl", "lk.shard.0.ctl", "lk.search.0",
                        "lk.jobs", "$JS.API.CONSUMER.MSG.NEXT.LK_SHARD_0.replica-0",
                        "$KV.LK_RECEIPTS.er-1.s0.r0", "$KV.LK_RECEIPTS.er-1.request",
                        "$KV.LK_CLUSTER.replica.0.0", "$JS.API.STREAM.DELETE.LK_SHARD_1"}) {
    EXPECT_FALSE(Allowed(p->publish, s)) << s;
  }
  EXPECT_EQ(PermissionsFor("shard-2", 2).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(PermissionsFor("shard-1x", 2).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(PermissionsFor("root", 2).status().code(), StatusCode::kInvalidArgument);
}

TEST(ClusterAuth, BundleHoldsPublicKeysOnlyAndKeepsOrRotatesKeys) {
  const fs::path dir = TempDir("bundle");
  auto first = WriteAuthBundle(dir, 2);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const std::string conf = Slurp(dir / "nats-auth.conf");
  for (const auto& role : ClusterRoles(2)) {
    const fs::path creds = dir / (role + ".creds");
    ASSERT_TRUE(fs::exists(creds)) << role;
    EXPECT_EQ(fs::status(creds).permissions() & (fs::perms::group_all | fs::perms::others_all),
              fs::perms::none)
        << role;
    EXPECT_NE(conf.find((*first)["nkeys"][role].get<std::string>()), std::string::npos) << role;
    const std::string seed = Slurp(creds).substr(Slurp(creds).find("\nSU") + 1, 58);
    EXPECT_EQ(conf.find(seed), std::string::npos) << "the config holds " << role << "'s seed";
  }
  auto again = WriteAuthBundle(dir, 2);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)["nkeys"], (*first)["nkeys"]);
  auto rotated = WriteAuthBundle(dir, 2, {"worker"});
  ASSERT_TRUE(rotated.ok());
  EXPECT_NE((*rotated)["nkeys"]["worker"], (*first)["nkeys"]["worker"]);
  EXPECT_EQ((*rotated)["nkeys"]["router"], (*first)["nkeys"]["router"]);
  EXPECT_EQ(Slurp(dir / "nats-auth.conf").find((*first)["nkeys"]["worker"].get<std::string>()),
            std::string::npos);
  EXPECT_EQ(WriteAuthBundle(dir, 2, {"shard-9"}).status().code(), StatusCode::kInvalidArgument);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace likeness::cluster
