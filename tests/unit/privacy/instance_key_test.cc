#include "privacy/instance_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "privacy/audit_log.h"
#include "raw_sqlite.h"
#include "testing/test_env.h"

namespace likeness::privacy {
namespace {

class InstanceKeyTest : public ::testing::Test {
 protected:
  std::filesystem::path key_path() const { return dir_.path() / "instance.key"; }

  void Overwrite(const std::string& bytes) {
    std::filesystem::permissions(
        key_path(), std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    std::ofstream(key_path(), std::ios::binary | std::ios::trunc) << bytes;
  }

  void ExpectCorruption() {
    Result<InstanceKey> key = InstanceKey::Load(key_path());
    ASSERT_FALSE(key.ok());
    EXPECT_EQ(key.status().code(), StatusCode::kCorruption) << key.status().ToString();
    // The audit log refuses to open with it, too.
    AuditLogOptions o;
    o.db_path = dir_.path() / "audit.db";
    o.key_path = key_path();
    EXPECT_EQ(AuditLog::Open(o).status().code(), StatusCode::kCorruption);
  }

  likeness::testing::TempDir dir_;
};

TEST_F(InstanceKeyTest, CreatedOnceWithOwnerOnlyPermissions) {
  EXPECT_EQ(InstanceKey::Load(key_path()).status().code(), StatusCode::kNotFound);
  Result<InstanceKey> a = InstanceKey::LoadOrCreate(key_path());
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  struct stat st {};
  ASSERT_EQ(::stat(key_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 72);
  Result<InstanceKey> b = InstanceKey::LoadOrCreate(key_path());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->public_key_hex(), b->public_key_hex());
  // No temporary files left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_.path()),
                          std::filesystem::directory_iterator()),
            1);
}

TEST_F(InstanceKeyTest, SignaturesVerifyOnlyForTheirMessageAndKey) {
  Result<InstanceKey> key = InstanceKey::LoadOrCreate(key_path());
  ASSERT_TRUE(key.ok());
  const auto sig = key->Sign("hello");
  EXPECT_TRUE(InstanceKey::VerifySignature(key->public_key(), "hello", sig));
  EXPECT_FALSE(InstanceKey::VerifySignature(key->public_key(), "hellO", sig));
  likeness::testing::TempDir other;
  Result<InstanceKey> other_key = InstanceKey::LoadOrCreate(other.path() / "k");
  EXPECT_FALSE(InstanceKey::VerifySignature(other_key->public_key(), "hello", sig));
  EXPECT_FALSE(InstanceKey::VerifySignature(key->public_key(), "hello",
                                            std::span(sig.data(), sig.size() - 1)));
}

TEST_F(InstanceKeyTest, TruncatedFileIsCorruption) {
  ASSERT_TRUE(InstanceKey::LoadOrCreate(key_path()).ok());
  const std::string bytes = testing::ReadFileBytes(key_path());
  Overwrite(bytes.substr(0, 40));
  ExpectCorruption();
  Overwrite("");
  ExpectCorruption();
}

TEST_F(InstanceKeyTest, ExtendedFileIsCorruption) {
  ASSERT_TRUE(InstanceKey::LoadOrCreate(key_path()).ok());
  Overwrite(testing::ReadFileBytes(key_path()) + "x");
  ExpectCorruption();
}

TEST_F(InstanceKeyTest, FlippedSeedByteIsCorruption) {
  ASSERT_TRUE(InstanceKey::LoadOrCreate(key_path()).ok());
  std::string bytes = testing::ReadFileBytes(key_path());
  bytes[8 + 5] ^= 0x01;
  Overwrite(bytes);
  ExpectCorruption();
}

TEST_F(InstanceKeyTest, FlippedPublicKeyByteIsCorruption) {
  ASSERT_TRUE(InstanceKey::LoadOrCreate(key_path()).ok());
  std::string bytes = testing::ReadFileBytes(key_path());
  bytes[8 + 32 + 7] ^= 0x80;
  Overwrite(bytes);
  ExpectCorruption();
}

TEST_F(InstanceKeyTest, WrongMagicIsCorruption) {
  ASSERT_TRUE(InstanceKey::LoadOrCreate(key_path()).ok());
  std::string bytes = testing::ReadFileBytes(key_path());
  bytes[0] = 'X';
  Overwrite(bytes);
  ExpectCorruption();
}

TEST_F(InstanceKeyTest, GroupReadableFileIsRefused) {
  ASSERT_TRUE(InstanceKey::LoadOrCreate(key_path()).ok());
  std::filesystem::permissions(key_path(), std::filesystem::perms::group_read,
                               std::filesystem::perm_options::add);
  Result<InstanceKey> key = InstanceKey::Load(key_path());
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(key.status().message().find("chmod 600"), std::string::npos);
}

}  // namespace
}  // namespace likeness::privacy
