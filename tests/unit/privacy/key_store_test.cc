#include "privacy/key_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "privacy/master_key.h"
#include "raw_sqlite.h"
#include "testing/test_env.h"

namespace likeness::privacy {
namespace {

constexpr const char* kHexKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

std::string KeyBytes(const DataKey& k) {
  return std::string(reinterpret_cast<const char*>(k.key.data()), SecretKey::kSize);
}

void WritePrivateFile(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
  std::filesystem::permissions(
      path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
      std::filesystem::perm_options::replace);
}

class MasterKeyTest : public ::testing::Test {
 protected:
  likeness::testing::TempDir dir_;
};

TEST_F(MasterKeyTest, FromHex) {
  Result<MasterKey> k = MasterKey::FromHex(kHexKey);
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->key().data()[1], 0x01);
  EXPECT_EQ(k->key().data()[31], 0x1f);
  EXPECT_EQ(k->id().size(), 16u);
  EXPECT_TRUE(MasterKey::FromHex(std::string(64, 'A')).ok());
  for (std::string bad : {std::string(63, 'a'), std::string(65, 'a'), std::string(64, 'g'),
                          std::string(), std::string(kHexKey).replace(10, 1, " ")}) {
    Result<MasterKey> r = MasterKey::FromHex(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    if (!bad.empty()) {
      EXPECT_EQ(r.status().message().find(bad), std::string::npos);  // no echo
    }
  }
}

TEST_F(MasterKeyTest, FromFileHexOrRaw) {
  const auto hex_path = dir_.path() / "hex.key";
  WritePrivateFile(hex_path, std::string(kHexKey) + "\n");
  Result<MasterKey> from_hex = MasterKey::FromFile(hex_path);
  ASSERT_TRUE(from_hex.ok()) << from_hex.status().ToString();

  std::string raw(32, '\0');
  for (int i = 0; i < 32; ++i) raw[static_cast<size_t>(i)] = static_cast<char>(i);
  const auto raw_path = dir_.path() / "raw.key";
  WritePrivateFile(raw_path, raw);
  Result<MasterKey> from_raw = MasterKey::FromFile(raw_path);
  ASSERT_TRUE(from_raw.ok()) << from_raw.status().ToString();
  EXPECT_EQ(from_hex->id(), from_raw->id());

  WritePrivateFile(dir_.path() / "short.key", "abcdef");
  EXPECT_EQ(MasterKey::FromFile(dir_.path() / "short.key").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(MasterKey::FromFile(dir_.path() / "absent.key").status().code(), StatusCode::kNotFound);
  std::filesystem::permissions(hex_path, std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  EXPECT_EQ(MasterKey::FromFile(hex_path).status().code(), StatusCode::kPermissionDenied);
}

TEST_F(MasterKeyTest, FromEnvironment) {
  constexpr const char* kVar = "LIKENESS_TEST_MASTER_KEY_FROM_ENV";
  ::unsetenv(kVar);
  EXPECT_EQ(MasterKey::FromEnv(kVar).status().code(), StatusCode::kNotFound);
  ::setenv(kVar, "nothex", 1);
  EXPECT_EQ(MasterKey::FromEnv(kVar).status().code(), StatusCode::kInvalidArgument);
  ::setenv(kVar, kHexKey, 1);
  Result<MasterKey> k = MasterKey::FromEnv(kVar);
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->id(), MasterKey::FromHex(kHexKey)->id());
  ::unsetenv(kVar);

  ::setenv(kMasterKeyEnvVar, kHexKey, 1);
  EXPECT_EQ(MasterKey::Load("")->id(), k->id());
  ::unsetenv(kMasterKeyEnvVar);
  Result<MasterKey> none = MasterKey::Load("");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
  EXPECT_NE(none.status().message().find(kMasterKeyEnvVar), std::string::npos);
}

TEST_F(MasterKeyTest, CreateMasterKeyFile) {
  const auto path = dir_.path() / "master.key";
  Result<MasterKey> created = CreateMasterKeyFile(path);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 65);
  EXPECT_EQ(MasterKey::FromFile(path)->id(), created->id());
  EXPECT_EQ(CreateMasterKeyFile(path).status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(MasterKey::FromFile(path)->id(), created->id());  // not overwritten
  EXPECT_NE(MasterKey::Generate().id(), MasterKey::Generate().id());
}

class KeyStoreTest : public ::testing::Test {
 protected:
  std::filesystem::path db_path() const { return dir_.path() / "keys.db"; }
  std::unique_ptr<KeyStore> OpenStore(const char* hex = kHexKey) {
    Result<std::unique_ptr<KeyStore>> s =
        KeyStore::Open(db_path(), MasterKey::FromHex(hex).value());
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  // The wrapped key and nonce as stored, read straight from the file.
  std::string Wrapped(const std::string& scope) {
    testing::RawSqlite raw(db_path());
    return raw.QueryBytes("SELECT wrapped FROM data_keys WHERE scope = '" + scope + "'");
  }
  std::string Nonce(const std::string& scope) {
    testing::RawSqlite raw(db_path());
    return raw.QueryBytes("SELECT nonce FROM data_keys WHERE scope = '" + scope + "'");
  }
  bool OnDisk(const std::string& bytes) {
    return testing::Contains(testing::ReadFileBytes(db_path()), bytes) ||
           testing::Contains(testing::ReadFileBytes(db_path().string() + "-wal"), bytes);
  }

  likeness::testing::TempDir dir_;
};

TEST_F(KeyStoreTest, DataKeysAreStablePerScopeAndDistinctAcrossScopes) {
  auto store = OpenStore();
  Result<DataKey> a1 = store->GetOrCreateDataKey("source:1");
  ASSERT_TRUE(a1.ok()) << a1.status().ToString();
  Result<DataKey> a2 = store->GetOrCreateDataKey("source:1");
  Result<DataKey> b = store->GetOrCreateDataKey("source:2");
  ASSERT_TRUE(a2.ok() && b.ok());
  EXPECT_EQ(KeyBytes(*a1), KeyBytes(*a2));
  EXPECT_EQ(a1->key_id, a2->key_id);
  EXPECT_EQ(a1->key_id.size(), 32u);
  EXPECT_NE(KeyBytes(*a1), KeyBytes(*b));
  EXPECT_NE(a1->key_id, b->key_id);
  EXPECT_EQ(Wrapped("source:1").size(), 48u);
  EXPECT_EQ(Nonce("source:1").size(), 24u);
  EXPECT_FALSE(testing::Contains(testing::ReadFileBytes(db_path()), KeyBytes(*a1)));

  store.reset();
  store = OpenStore();
  Result<DataKey> again = store->GetDataKey("source:1");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(KeyBytes(*again), KeyBytes(*a1));
}

TEST_F(KeyStoreTest, UnknownAndEmptyScopes) {
  auto store = OpenStore();
  EXPECT_EQ(store->GetDataKey("source:404").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->GetDataKey("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->GetOrCreateDataKey("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->DestroyDataKey("").code(), StatusCode::kInvalidArgument);
}

TEST_F(KeyStoreTest, WrongMasterKeyIsRefusedAtOpen) {
  ASSERT_TRUE(OpenStore()->GetOrCreateDataKey("source:1").ok());
  Result<std::unique_ptr<KeyStore>> wrong = KeyStore::Open(db_path(), MasterKey::Generate());
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(wrong.status().message().find("master key does not match the key store"),
            std::string::npos);
}

TEST_F(KeyStoreTest, WrongMasterKeyIsRefusedEvenForAnEmptyStore) {
  ASSERT_NE(OpenStore(), nullptr);
  EXPECT_EQ(KeyStore::Open(db_path(), MasterKey::Generate()).status().code(),
            StatusCode::kPermissionDenied);
}

TEST_F(KeyStoreTest, DestroyRemovesTheWrappedKeyFromDbAndWal) {
  auto store = OpenStore();
  ASSERT_TRUE(store->GetOrCreateDataKey("source:1").ok());
  ASSERT_TRUE(store->GetOrCreateDataKey("source:2").ok());
  const std::string wrapped = Wrapped("source:1");
  const std::string nonce = Nonce("source:1");
  ASSERT_EQ(wrapped.size(), 48u);
  ASSERT_TRUE(OnDisk(wrapped)) << "the scan must be able to see the key before it is destroyed";

  Status destroyed = store->DestroyDataKey("source:1");
  ASSERT_TRUE(destroyed.ok()) << destroyed.ToString();
  EXPECT_EQ(store->GetDataKey("source:1").status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(OnDisk(wrapped));
  EXPECT_FALSE(OnDisk(nonce));
  EXPECT_TRUE(store->GetDataKey("source:2").ok());  // others untouched

  // Still gone after the store is closed and reopened.
  store.reset();
  EXPECT_FALSE(OnDisk(wrapped));
  store = OpenStore();
  EXPECT_EQ(store->GetDataKey("source:1").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store->DestroyDataKey("source:1").ok());  // idempotent

  // A new key for the scope is a different key.
  Result<DataKey> fresh = store->GetOrCreateDataKey("source:1");
  ASSERT_TRUE(fresh.ok());
  EXPECT_NE(Wrapped("source:1"), wrapped);
}

TEST_F(KeyStoreTest, CachedKeysFollowDestructionHereAndInAnotherStore) {
  auto a = OpenStore();
  auto b = OpenStore();
  Result<DataKey> k = a->GetOrCreateDataKey("source:1");
  ASSERT_TRUE(k.ok());
  ASSERT_TRUE(a->GetDataKey("source:1").ok());  // cached in `a` now
  ASSERT_TRUE(b->GetDataKey("source:1").ok());  // and in `b`
  // Destroyed by this store: gone from its cache at once.
  ASSERT_TRUE(b->DestroyDataKey("source:1").ok());
  EXPECT_EQ(b->GetDataKey("source:1").status().code(), StatusCode::kNotFound);
  // Destroyed by another store (process): `a` never seals new data under the cached key.
  Result<DataKey> fresh = a->GetOrCreateDataKey("source:1");
  ASSERT_TRUE(fresh.ok());
  EXPECT_NE(fresh->key_id, k->key_id);
  EXPECT_NE(KeyBytes(*fresh), KeyBytes(*k));
  Result<DataKey> read = a->GetDataKey("source:1");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->key_id, fresh->key_id);
}

TEST_F(KeyStoreTest, RotationRewrapsEveryKey) {
  auto store = OpenStore();
  std::vector<std::string> keys, wrapped;
  for (const char* scope : {"source:1", "source:2", "upload:x"}) {
    keys.push_back(KeyBytes(*store->GetOrCreateDataKey(scope)));
    wrapped.push_back(Wrapped(scope));
  }
  const std::string old_id = store->master_key_id();
  MasterKey next = MasterKey::Generate();
  const std::string new_id = next.id();
  Status rotated = store->RotateMasterKey(std::move(next));
  ASSERT_TRUE(rotated.ok()) << rotated.ToString();
  EXPECT_EQ(store->master_key_id(), new_id);
  EXPECT_NE(new_id, old_id);
  EXPECT_EQ(KeyBytes(*store->GetDataKey("source:2")), keys[1]);
  for (const std::string& w : wrapped) EXPECT_FALSE(OnDisk(w));  // old wraps scrubbed
  {
    testing::RawSqlite raw(db_path());
    EXPECT_EQ(raw.QueryInt("SELECT COUNT(*) FROM data_keys WHERE master_key_id = '" + new_id + "'"),
              3);
  }
  store.reset();

  // The old master is now refused.
  Result<std::unique_ptr<KeyStore>> old =
      KeyStore::Open(db_path(), MasterKey::FromHex(kHexKey).value());
  EXPECT_EQ(old.status().code(), StatusCode::kPermissionDenied);
}

TEST_F(KeyStoreTest, RotatedStoreOpensWithTheNewKey) {
  std::string key_bytes;
  {
    auto store = OpenStore();
    key_bytes = KeyBytes(*store->GetOrCreateDataKey("source:1"));
    ASSERT_TRUE(store->RotateMasterKey(MasterKey::FromHex(std::string(64, 'b')).value()).ok());
  }
  auto store = OpenStore(std::string(64, 'b').c_str());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(KeyBytes(*store->GetDataKey("source:1")), key_bytes);
}

TEST_F(KeyStoreTest, WrappedKeyMovedToAnotherScopeFailsAuthentication) {
  ASSERT_TRUE(OpenStore()->GetOrCreateDataKey("source:1").ok());
  {
    testing::RawSqlite raw(db_path());
    raw.Exec("UPDATE data_keys SET scope = 'source:2' WHERE scope = 'source:1'");
  }
  Result<DataKey> moved = OpenStore()->GetDataKey("source:2");
  ASSERT_FALSE(moved.ok());
  EXPECT_EQ(moved.status().code(), StatusCode::kCorruption);
}

TEST_F(KeyStoreTest, AlteredWrappedKeyIsCorruption) {
  ASSERT_TRUE(OpenStore()->GetOrCreateDataKey("source:1").ok());
  {
    testing::RawSqlite raw(db_path());
    raw.Exec("UPDATE data_keys SET wrapped = randomblob(48) WHERE scope = 'source:1'");
  }
  EXPECT_EQ(OpenStore()->GetDataKey("source:1").status().code(), StatusCode::kCorruption);
}

TEST_F(KeyStoreTest, ConcurrentCreatorsAgreeOnOneKey) {
  auto a = OpenStore();
  auto b = OpenStore();
  std::string ka, kb;
  std::thread ta([&] { ka = KeyBytes(*a->GetOrCreateDataKey("source:9")); });
  std::thread tb([&] { kb = KeyBytes(*b->GetOrCreateDataKey("source:9")); });
  ta.join();
  tb.join();
  EXPECT_EQ(ka, kb);
}

}  // namespace
}  // namespace likeness::privacy
