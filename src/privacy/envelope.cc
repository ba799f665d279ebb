#include "privacy/envelope.h"

#include <sodium.h>

#include <algorithm>
#include <string>

#include "common/hash.h"

namespace likeness::privacy {
namespace {

constexpr size_t kKeyIdSize = 16;
constexpr size_t kNonceSize = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kTagSize = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr size_t kHeaderSize = 1 + kKeyIdSize;
constexpr size_t kOverhead = kHeaderSize + kNonceSize + kTagSize;
constexpr std::string_view kAdTag = "likeness-envelope-v1";

// Tag || header || 8-byte length || scope || caller's AD.
std::vector<uint8_t> FullAd(std::span<const uint8_t> header, std::string_view scope,
                            std::span<const uint8_t> ad) {
  std::vector<uint8_t> out(kAdTag.begin(), kAdTag.end());
  out.insert(out.end(), header.begin(), header.end());
  const uint64_t n = scope.size();
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(n >> shift));
  out.insert(out.end(), scope.begin(), scope.end());
  out.insert(out.end(), ad.begin(), ad.end());
  return out;
}

// REQUIRES: key_id is 32 hex characters (as KeyStore makes them).
std::array<uint8_t, kKeyIdSize> KeyIdBytes(const std::string& key_id) {
  std::array<uint8_t, kKeyIdSize> out{};
  sodium_hex2bin(out.data(), out.size(), key_id.data(), key_id.size(), nullptr, nullptr, nullptr);
  return out;
}

}  // namespace

std::vector<uint8_t> SealWithDataKey(const DataKey& key, std::span<const uint8_t> plaintext,
                                     std::span<const uint8_t> associated_data) {
  std::vector<uint8_t> blob(kOverhead + plaintext.size());
  blob[0] = kEnvelopeVersion;
  const auto id = KeyIdBytes(key.key_id);
  std::copy(id.begin(), id.end(), blob.begin() + 1);
  uint8_t* nonce = blob.data() + kHeaderSize;
  randombytes_buf(nonce, kNonceSize);
  const std::vector<uint8_t> ad =
      FullAd(std::span(blob.data(), kHeaderSize), key.scope, associated_data);
  unsigned long long n = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(blob.data() + kHeaderSize + kNonceSize, &n,
                                             plaintext.data(), plaintext.size(), ad.data(),
                                             ad.size(), nullptr, nonce, key.key.data());
  return blob;
}

Result<std::string> EnvelopeKeyId(std::span<const uint8_t> blob) {
  if (blob.empty()) return Status::Corruption("encrypted blob is empty");
  if (blob[0] != kEnvelopeVersion) {
    return Status::Unsupported("encrypted blob has envelope version " + std::to_string(blob[0]) +
                               "; this build reads version " + std::to_string(kEnvelopeVersion));
  }
  if (blob.size() < kOverhead) {
    return Status::Corruption("encrypted blob is truncated (" + std::to_string(blob.size()) +
                              " bytes)");
  }
  return ToHex(blob.subspan(1, kKeyIdSize));
}

Result<std::vector<uint8_t>> OpenWithDataKey(const DataKey& key, std::span<const uint8_t> blob,
                                             std::span<const uint8_t> associated_data) {
  const std::string what = "encrypted blob for scope \"" + key.scope + "\"";
  ASSIGN_OR_RETURN(const std::string blob_key_id, EnvelopeKeyId(blob));
  if (blob_key_id != key.key_id) {
    return Status::NotFound(what + " was sealed with data key " + blob_key_id +
                            ", which was destroyed (crypto-shredded); the scope's key is now " +
                            key.key_id);
  }
  const std::vector<uint8_t> ad = FullAd(blob.first(kHeaderSize), key.scope, associated_data);
  const std::span<const uint8_t> sealed = blob.subspan(kHeaderSize + kNonceSize);
  std::vector<uint8_t> plain(sealed.size() - kTagSize);
  unsigned long long n = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain.data(), &n, nullptr, sealed.data(),
                                                 sealed.size(), ad.data(), ad.size(),
                                                 blob.data() + kHeaderSize, key.key.data()) != 0) {
    return Status::Corruption(what +
                              " failed authentication: altered, or wrong scope or associated data");
  }
  plain.resize(static_cast<size_t>(n));
  return plain;
}

Result<std::vector<uint8_t>> EnvelopeEncrypt(KeyStore& keys, std::string_view scope,
                                             std::span<const uint8_t> plaintext,
                                             std::span<const uint8_t> associated_data) {
  ASSIGN_OR_RETURN(const DataKey key, keys.GetOrCreateDataKey(scope));
  return SealWithDataKey(key, plaintext, associated_data);
}

Result<std::vector<uint8_t>> EnvelopeDecrypt(KeyStore& keys, std::string_view scope,
                                             std::span<const uint8_t> blob,
                                             std::span<const uint8_t> associated_data) {
  ASSIGN_OR_RETURN(const std::string blob_key_id, EnvelopeKeyId(blob));
  Result<DataKey> key = keys.GetDataKey(scope);
  if (!key.ok() && key.status().code() != StatusCode::kNotFound) return key.status();
  if (!key.ok() || key->key_id != blob_key_id) {
    // Not this scope's current key: either it was destroyed, or the blob belongs to another scope.
    ASSIGN_OR_RETURN(const bool elsewhere, keys.HasKeyId(blob_key_id));
    if (elsewhere) {
      return Status::Corruption("encrypted blob was sealed for another scope, not \"" +
                                std::string(scope) + "\"");
    }
    return Status::NotFound("the data key that sealed this blob for scope \"" + std::string(scope) +
                            "\" was destroyed (crypto-shredded); the data cannot be decrypted");
  }
  return OpenWithDataKey(*key, blob, associated_data);
}

}  // namespace likeness::privacy
