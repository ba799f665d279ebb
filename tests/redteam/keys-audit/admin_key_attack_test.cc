// Issue 12, finding 7: "The bootstrap admin key is printed to stderr (journald under the documented
// unit), and a new one is minted whenever no admin key is active, including after an operator
// revoked them all." The attacks: read the server's stderr (the journal) for a key; revoke every
// admin key (e.g. after a compromise) and restart the server hoping it mints a fresh one.
#include <httplib.h>
#include <sys/stat.h>

#include "attack_env.h"

namespace likeness::redteam {
namespace {

class AdminKeyAttack : public AttackEnv {
 protected:
  int WhoAmI(const std::string& port, const std::string& key) {
    httplib::Client c("127.0.0.1", std::stoi(port));
    c.set_read_timeout(60);
    auto r = c.Get("/api/v1/whoami", {{"Authorization", "Bearer " + key}});
    return r ? r->status : -1;
  }
};

TEST_F(AdminKeyAttack, TheBootstrapKeyNeverReachesALogAndIsNeverMintedAgain) {
  pid_t pid = Spawn("first", {"serve", "--port", "0", "--threads", "1"});
  const std::string port = WaitForErr("first", "on http://127\\.0\\.0\\.1:(\\d+)/");
  ASSERT_FALSE(port.empty()) << ReadAll(tmp_.path() / "first.err");
  const std::string file = WaitForErr("first", "the key is in (\\S+) \\(mode 0600");
  ASSERT_EQ(fs::path(file), KeyFolder() / "admin.key") << "written to the key folder only";
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string written = ReadAll(file);
  const std::string key = written.substr(0, written.find('\n'));
  ASSERT_TRUE(key.starts_with("lk_")) << written;
  EXPECT_EQ(WhoAmI(port, key), 200);
  EXPECT_EQ(Stop(pid, SIGTERM), 0);
  // The journal (stderr and stdout) holds the file's name, never the key.
  for (const char* out : {"first.err", "first.out"}) {
    const std::string log = ReadAll(tmp_.path() / out);
    EXPECT_EQ(log.find(key), std::string::npos) << out << " holds the admin key";
    EXPECT_EQ(log.find("lk_"), std::string::npos) << out << ": " << log;
  }

  // The operator revokes every admin key; the attacker restarts the server (or waits for it).
  auto r = L({"keys", "revoke", "admin"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  fs::remove(file);  // even with the file gone, nothing is minted
  pid = Spawn("second", {"serve", "--port", "0", "--threads", "1"});
  const std::string port2 = WaitForErr("second", "on http://127\\.0\\.0\\.1:(\\d+)/");
  ASSERT_FALSE(port2.empty()) << ReadAll(tmp_.path() / "second.err");
  EXPECT_EQ(WhoAmI(port2, key), 401) << "a revoked key must stay revoked";
  EXPECT_EQ(Stop(pid, SIGTERM), 0);
  const std::string log2 = ReadAll(tmp_.path() / "second.err");
  EXPECT_EQ(log2.find("created"), std::string::npos) << log2;
  EXPECT_EQ(log2.find("lk_"), std::string::npos) << log2;
  EXPECT_FALSE(fs::exists(file)) << "a new admin key file was written";
  r = L({"keys", "list", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int admins = 0;
  for (const auto& k : nlohmann::json(J(r)["keys"])) {
    if (k["role"] != "admin") continue;
    ++admins;
    EXPECT_FALSE(k["revoked_at"].is_null() || k["revoked_at"] == "") << k.dump();
  }
  EXPECT_EQ(admins, 1) << "only `keys create` makes another admin key: " << r.out;

  // Only `keys create` makes one, shown once on its stdout (to the operator who asked).
  r = L({"keys", "create", "--name", "admin-2", "--role", "admin"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("lk_")) << r.out;
}

}  // namespace
}  // namespace likeness::redteam
