// Envelope encryption: data sealed under its scope's data key (key_store.h) with
// XChaCha20-Poly1305.
//
// Blob format, version 1:
//   byte 0        version (1)
//   bytes 1..16   key_id of the data key (raw 16 bytes), so a blob names the key it needs
//   bytes 17..40  random 24-byte nonce
//   bytes 41..    ciphertext || 16-byte Poly1305 tag
// The tag covers the header (version, key_id), the scope and the caller's associated data, so a
// blob moved to another scope, another record (when the AD names the record) or altered in any byte
// fails.
//
// After DestroyDataKey(scope), every blob of that scope is unreadable: Decrypt returns NotFound,
// even if a new key has since been made for the scope (the blob names the old key_id).
//
// Thread safety: as KeyStore.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "likeness/status.h"
#include "privacy/key_store.h"

namespace likeness::privacy {

inline constexpr uint8_t kEnvelopeVersion = 1;

// Seals with the scope's data key, creating it on first use. Errors: as GetOrCreateDataKey.
Result<std::vector<uint8_t>> EnvelopeEncrypt(KeyStore& keys, std::string_view scope,
                                             std::span<const uint8_t> plaintext,
                                             std::span<const uint8_t> associated_data);

// Opens a blob made by EnvelopeEncrypt. Errors: NotFound (the data key was destroyed:
// crypto-shredded; also what an altered key_id in the header looks like); Corruption (wrong
// associated data, a blob of another scope, altered or truncated blob); Unsupported (unknown
// version); as GetDataKey.
Result<std::vector<uint8_t>> EnvelopeDecrypt(KeyStore& keys, std::string_view scope,
                                             std::span<const uint8_t> blob,
                                             std::span<const uint8_t> associated_data);

// The hex key_id a blob names. Errors: Corruption (truncated), Unsupported (unknown version).
Result<std::string> EnvelopeKeyId(std::span<const uint8_t> blob);

// The same with a data key in hand (e.g. to seal many items without a store lookup each).
std::vector<uint8_t> SealWithDataKey(const DataKey& key, std::span<const uint8_t> plaintext,
                                     std::span<const uint8_t> associated_data);
// Errors: NotFound (the blob names another key_id), Corruption, Unsupported.
Result<std::vector<uint8_t>> OpenWithDataKey(const DataKey& key, std::span<const uint8_t> blob,
                                             std::span<const uint8_t> associated_data);

}  // namespace likeness::privacy
