#include "privacy/envelope.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "testing/test_env.h"

namespace likeness::privacy {
namespace {

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

class EnvelopeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<KeyStore>> s =
        KeyStore::Open(dir_.path() / "keys.db", MasterKey::Generate());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  std::vector<uint8_t> Seal(const std::string& scope, const std::string& plain,
                            const std::string& ad) {
    Result<std::vector<uint8_t>> blob = EnvelopeEncrypt(*store_, scope, Bytes(plain), Bytes(ad));
    EXPECT_TRUE(blob.ok()) << blob.status().ToString();
    return blob.ok() ? *blob : std::vector<uint8_t>{};
  }
  Result<std::vector<uint8_t>> Open(const std::string& scope, const std::vector<uint8_t>& blob,
                                    const std::string& ad) {
    return EnvelopeDecrypt(*store_, scope, blob, Bytes(ad));
  }

  likeness::testing::TempDir dir_;
  std::unique_ptr<KeyStore> store_;
};

TEST_F(EnvelopeTest, RoundTrip) {
  const std::string plain = "embedding bytes \x01\x02\x00\xff";
  const std::vector<uint8_t> blob = Seal("source:1", plain, "face:42");
  EXPECT_EQ(blob.size(), 1 + 16 + 24 + plain.size() + 16);
  EXPECT_EQ(blob[0], kEnvelopeVersion);
  Result<std::vector<uint8_t>> opened = Open("source:1", blob, "face:42");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, Bytes(plain));
  EXPECT_EQ(*EnvelopeKeyId(blob), store_->GetDataKey("source:1")->key_id);

  const std::vector<uint8_t> empty = Seal("source:1", "", "");
  EXPECT_TRUE(Open("source:1", empty, "")->empty());
  EXPECT_NE(Seal("source:1", plain, "face:42"), blob);  // fresh nonce each time
}

TEST_F(EnvelopeTest, WrongAssociatedDataIsCorruption) {
  const std::vector<uint8_t> blob = Seal("source:1", "secret", "face:42");
  for (const char* ad : {"face:43", "", "face:42 "}) {
    Result<std::vector<uint8_t>> r = Open("source:1", blob, ad);
    ASSERT_FALSE(r.ok()) << ad;
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << r.status().ToString();
  }
}

TEST_F(EnvelopeTest, EveryAlteredByteIsDetected) {
  const std::vector<uint8_t> blob = Seal("source:1", "secret payload", "ad");
  for (size_t i = 0; i < blob.size(); ++i) {
    std::vector<uint8_t> bad = blob;
    bad[i] ^= 0x01;
    Result<std::vector<uint8_t>> r = Open("source:1", bad, "ad");
    ASSERT_FALSE(r.ok()) << "byte " << i;
    const StatusCode want = i == 0    ? StatusCode::kUnsupported
                            : i <= 16 ? StatusCode::kNotFound  // names another key
                                      : StatusCode::kCorruption;
    EXPECT_EQ(r.status().code(), want) << "byte " << i << ": " << r.status().ToString();
  }
}

TEST_F(EnvelopeTest, TruncatedBlobIsCorruption) {
  const std::vector<uint8_t> blob = Seal("source:1", "secret", "ad");
  for (size_t n : {size_t{1}, size_t{17}, size_t{40}, blob.size() - 1}) {
    Result<std::vector<uint8_t>> r = Open(
        "source:1", std::vector<uint8_t>(blob.begin(), blob.begin() + static_cast<long>(n)), "ad");
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << n;
  }
  EXPECT_EQ(Open("source:1", {}, "ad").status().code(), StatusCode::kCorruption);
}

TEST_F(EnvelopeTest, BlobOfAnotherScopeIsCorruption) {
  const std::vector<uint8_t> blob = Seal("source:1", "secret", "ad");
  Seal("source:2", "other", "ad");
  Result<std::vector<uint8_t>> r = Open("source:2", blob, "ad");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << r.status().ToString();
  // Also when the scope asked for has no key at all.
  r = Open("source:never", blob, "ad");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << r.status().ToString();
}

TEST_F(EnvelopeTest, DestroyedKeyMeansNotFound) {
  const std::vector<uint8_t> blob = Seal("source:1", "secret", "ad");
  ASSERT_TRUE(store_->DestroyDataKey("source:1").ok());
  Result<std::vector<uint8_t>> r = Open("source:1", blob, "ad");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("crypto-shredded"), std::string::npos);

  // A new key for the scope does not bring the old data back.
  const std::vector<uint8_t> fresh = Seal("source:1", "new data", "ad");
  r = Open("source:1", blob, "ad");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound) << r.status().ToString();
  EXPECT_EQ(*Open("source:1", fresh, "ad"), Bytes("new data"));
}

TEST_F(EnvelopeTest, DataSurvivesMasterKeyRotation) {
  const std::vector<uint8_t> blob = Seal("source:1", "kept", "ad");
  MasterKey next = MasterKey::Generate();
  const std::string next_hex = [&] {
    std::string hex;
    static constexpr char kDigits[] = "0123456789abcdef";
    for (uint8_t b : next.key().bytes()) {
      hex.push_back(kDigits[b >> 4]);
      hex.push_back(kDigits[b & 0xf]);
    }
    return hex;
  }();
  ASSERT_TRUE(store_->RotateMasterKey(std::move(next)).ok());
  EXPECT_EQ(*Open("source:1", blob, "ad"), Bytes("kept"));
  store_.reset();
  Result<std::unique_ptr<KeyStore>> reopened =
      KeyStore::Open(dir_.path() / "keys.db", MasterKey::FromHex(next_hex).value());
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ(*EnvelopeDecrypt(**reopened, "source:1", blob, Bytes("ad")), Bytes("kept"));
}

TEST_F(EnvelopeTest, SealAndOpenWithAKeyInHand) {
  Result<DataKey> key = store_->GetOrCreateDataKey("source:5");
  ASSERT_TRUE(key.ok());
  const std::vector<uint8_t> blob = SealWithDataKey(*key, Bytes("x"), Bytes("ad"));
  EXPECT_EQ(*OpenWithDataKey(*key, blob, Bytes("ad")), Bytes("x"));
  EXPECT_EQ(*Open("source:5", blob, "ad"), Bytes("x"));
}

}  // namespace
}  // namespace likeness::privacy
