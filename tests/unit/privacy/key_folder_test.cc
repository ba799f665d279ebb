// The key folder (privacy/key_folder.h): where a data folder's keys live, created for a new folder,
// refused for a folder with data but no keys, moved out of an older folder, never replaced by init.
#include "privacy/key_folder.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "privacy/instance_key.h"
#include "privacy/master_key.h"
#include "testing/test_env.h"

namespace likeness::privacy {
namespace {
namespace fs = std::filesystem;

class KeyFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv(kMasterKeyEnvVar);
    SetKeysRoot(dir_.path() / "keys");
  }
  void TearDown() override { SetKeysRoot({}); }
  fs::path data() const { return dir_.path() / "data"; }
  likeness::testing::TempDir dir_;
};

TEST_F(KeyFolderTest, ANewDataFolderGetsItsKeysOutsideIt) {
  auto f = OpenKeyFolder(data());
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_TRUE(f->created);
  EXPECT_EQ(f->dir, dir_.path() / "keys" / f->instance_id);
  EXPECT_FALSE(IsInside(f->dir, data()));
  EXPECT_TRUE(MasterKey::FromFile(f->master_key()).ok());
  EXPECT_TRUE(InstanceKey::Load(f->instance_key()).ok());
  struct stat st {};
  ASSERT_EQ(::stat(f->dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  // Opened again: the same folder, nothing created.
  auto again = OpenKeyFolder(data());
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->dir, f->dir);
  // init is one-time.
  EXPECT_EQ(InitKeyFolder(data()).status().code(), StatusCode::kAlreadyExists);
}

TEST_F(KeyFolderTest, DataWithoutKeysIsRefusedWithWhereTheyBelong) {
  ASSERT_TRUE(OpenKeyFolder(data()).ok());
  std::ofstream(data() / "catalog.db") << "x";
  SetKeysRoot(dir_.path() / "elsewhere");
  auto f = OpenKeyFolder(data());
  EXPECT_EQ(f.status().code(), StatusCode::kNotFound);
  EXPECT_NE(f.status().message().find("without its keys"), std::string::npos);
  EXPECT_NE(f.status().message().find((dir_.path() / "elsewhere").string()), std::string::npos);
  EXPECT_EQ(InitKeyFolder(data()).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(dir_.path() / "elsewhere")) << "nothing minted for a copy";
  // Data but no instance id at all (and no old keys): refused too.
  fs::remove(data() / "instance.id");
  EXPECT_EQ(OpenKeyFolder(data()).status().code(), StatusCode::kNotFound);
}

TEST_F(KeyFolderTest, KeysOfAnOlderLayoutAreMovedOutOnce) {
  fs::create_directories(data());
  ASSERT_TRUE(CreateMasterKeyFile(data() / "master.key").ok());
  const std::string master = [&] {
    std::ifstream in(data() / "master.key");
    std::string s;
    in >> s;
    return s;
  }();
  ASSERT_TRUE(InstanceKey::LoadOrCreate(data() / "instance.key").ok());
  std::ofstream(data() / "catalog.db") << "x";
  auto f = OpenKeyFolder(data());
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->migrated, (std::vector<std::string>{"master.key", "instance.key"}));
  EXPECT_FALSE(fs::exists(data() / "master.key"));
  EXPECT_FALSE(fs::exists(data() / "instance.key"));
  std::string moved;
  std::ifstream(f->master_key()) >> moved;
  EXPECT_EQ(moved, master) << "the same key, not a new one";
  auto again = OpenKeyFolder(data());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->migrated.empty());
  // A key both inside and outside: refused, nothing overwritten.
  ASSERT_TRUE(CreateMasterKeyFile(data() / "master.key").ok());
  EXPECT_EQ(OpenKeyFolder(data()).status().code(), StatusCode::kFailedPrecondition);
  std::ifstream(f->master_key()) >> moved;
  EXPECT_EQ(moved, master);
}

TEST_F(KeyFolderTest, KeyFilesOfAnotherModeAreRefused) {
  auto f = OpenKeyFolder(data());
  ASSERT_TRUE(f.ok());
  fs::permissions(f->master_key(), fs::perms::others_read, fs::perm_options::add);
  EXPECT_EQ(MasterKey::FromFile(f->master_key()).status().code(), StatusCode::kPermissionDenied);
}

TEST_F(KeyFolderTest, IsInsideSeesThroughDotsAndPrefixes) {
  EXPECT_TRUE(IsInside("/a/b/c", "/a/b"));
  EXPECT_TRUE(IsInside("/a/b/../b/c", "/a/b"));
  EXPECT_FALSE(IsInside("/a/bc", "/a/b"));
  EXPECT_FALSE(IsInside("/a", "/a/b"));
}

}  // namespace
}  // namespace likeness::privacy
