// `likeness keys create|list|revoke` through the real binary.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "server/api_keys.h"
#include "testing/test_env.h"

namespace likeness::server {
namespace {

struct CliRun {
  int code = -1;
  std::string out;
};

CliRun Cli(const std::filesystem::path& data, const std::string& args) {
  const std::string cmd =
      std::string(LIKENESS_CLI) + " --data '" + data.string() + "' " + args + " 2>/dev/null";
  CliRun r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  while (size_t n = std::fread(buf.data(), 1, buf.size(), p)) r.out.append(buf.data(), n);
  const int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

TEST(KeysCli, CreatePrintsTheKeyOnceListNeverShowsItRevokeEndsIt) {
  likeness::testing::TempDir dir;
  const auto data = dir.path() / "data";
  // A key's tenant must be registered first.
  EXPECT_NE(Cli(data, "keys create --name dana --role investigator --tenant police-nrw").code, 0);
  ASSERT_EQ(Cli(data, "tenant create police-nrw").code, 0);
  CliRun made = Cli(data, "keys create --name dana --role investigator --tenant police-nrw");
  ASSERT_EQ(made.code, 0);
  const std::string key = made.out.substr(0, made.out.find('\n'));
  EXPECT_EQ(key.size(), 46u);

  CliRun list = Cli(data, "keys list --json");
  ASSERT_EQ(list.code, 0);
  EXPECT_EQ(list.out.find(key), std::string::npos);
  auto j = nlohmann::json::parse(list.out);
  ASSERT_EQ(j["keys"].size(), 1u);
  EXPECT_EQ(j["keys"][0]["name"], "dana");
  EXPECT_EQ(j["keys"][0]["role"], "search");
  EXPECT_EQ(j["keys"][0]["tenant"], "police-nrw");

  auto store = ApiKeyStore::Open(data);
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE((*store)->Authenticate(key).ok());

  EXPECT_EQ(Cli(data, "keys create --name dana --role admin").code, 5);  // already exists
  EXPECT_EQ(Cli(data, "keys create --name eve --role root").code, 3);    // invalid role
  EXPECT_EQ(Cli(data, "keys create --role admin").code, 2);              // usage
  EXPECT_EQ(Cli(data, "keys revoke dana").code, 0);
  EXPECT_EQ(Cli(data, "keys revoke dana").code, 6);
  EXPECT_EQ(Cli(data, "keys revoke nobody").code, 4);
  EXPECT_FALSE((*store)->Authenticate(key).ok());
}

}  // namespace
}  // namespace likeness::server
