#include "cluster/nats_auth.h"

#include <sodium.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <span>
#include <sstream>
#include <vector>

#include "privacy/secret_file.h"

namespace likeness::cluster {
namespace {

// nkeys encoding (github.com/nats-io/nkeys): a prefix byte naming the key type, the key, a
// CRC-16/XMODEM of both (little endian), in RFC 4648 base32 without padding.
constexpr uint8_t kPrefixSeed = 18 << 3;  // 'S'
constexpr uint8_t kPrefixUser = 20 << 3;  // 'U'
constexpr const char* kBase32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

uint16_t Crc16(std::span<const uint8_t> data) {
  uint16_t crc = 0;
  for (uint8_t b : data) {
    crc ^= static_cast<uint16_t>(b) << 8;
    for (int i = 0; i < 8; ++i) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
    }
  }
  return crc;
}

std::string Base32(std::span<const uint8_t> data) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (uint8_t b : data) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += kBase32[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kBase32[(buffer << (5 - bits)) & 31];
  return out;
}

Result<std::vector<uint8_t>> Unbase32(std::string_view text) {
  std::vector<uint8_t> out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const char* at = std::strchr(kBase32, c);
    if (c == '\0' || at == nullptr) return Status::InvalidArgument("not base32");
    buffer = (buffer << 5) | static_cast<uint32_t>(at - kBase32);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<uint8_t>((buffer >> (bits - 8)) & 0xff));
      bits -= 8;
    }
  }
  return out;
}

std::string WithChecksum(std::vector<uint8_t> raw) {
  const uint16_t crc = Crc16(raw);
  raw.push_back(static_cast<uint8_t>(crc & 0xff));
  raw.push_back(static_cast<uint8_t>(crc >> 8));
  std::string out = Base32(raw);
  sodium_memzero(raw.data(), raw.size());
  return out;
}

std::string EncodePublicKey(std::span<const uint8_t, crypto_sign_PUBLICKEYBYTES> key) {
  std::vector<uint8_t> raw{kPrefixUser};
  raw.insert(raw.end(), key.begin(), key.end());
  return WithChecksum(std::move(raw));
}

std::string EncodeSeed(std::span<const uint8_t> seed) {
  std::vector<uint8_t> raw{static_cast<uint8_t>(kPrefixSeed | (kPrefixUser >> 5)),
                           static_cast<uint8_t>((kPrefixUser & 31) << 3)};
  raw.insert(raw.end(), seed.begin(), seed.end());
  return WithChecksum(std::move(raw));
}

// The 32-byte seed of an encoded user seed ("SU..."). InvalidArgument otherwise.
Result<std::vector<uint8_t>> DecodeSeed(std::string_view text) {
  ASSIGN_OR_RETURN(std::vector<uint8_t> raw, Unbase32(text));
  if (raw.size() != 2 + crypto_sign_SEEDBYTES + 2) {
    return Status::InvalidArgument("the seed has the wrong length");
  }
  const uint16_t crc = static_cast<uint16_t>(raw[raw.size() - 2] | (raw[raw.size() - 1] << 8));
  raw.resize(raw.size() - 2);
  if (Crc16(raw) != crc) return Status::InvalidArgument("the seed's checksum does not match");
  const uint8_t type = static_cast<uint8_t>(((raw[0] & 7) << 5) | ((raw[1] & 0xf8) >> 3));
  if ((raw[0] & 0xf8) != kPrefixSeed || type != kPrefixUser) {
    return Status::InvalidArgument("not a NATS user seed (SU...)");
  }
  std::vector<uint8_t> seed(raw.begin() + 2, raw.end());
  sodium_memzero(raw.data(), raw.size());
  return seed;
}

Status InitSodium() {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to start");
  return Status::Ok();
}

Result<std::string> PublicKeyOf(std::span<const uint8_t> seed) {
  std::array<uint8_t, crypto_sign_PUBLICKEYBYTES> pk{};
  std::array<uint8_t, crypto_sign_SECRETKEYBYTES> sk{};
  crypto_sign_seed_keypair(pk.data(), sk.data(), seed.data());
  sodium_memzero(sk.data(), sk.size());
  return EncodePublicKey(pk);
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

std::string ShardRole(int shard) { return "shard-" + std::to_string(shard); }
std::string RoleInboxPrefix(const std::string& role) { return "_LK." + role; }

NatsAuth NatsAuthFromEnv() {
  NatsAuth a;
  a.creds_file = Env("LIKENESS_NATS_CREDS");
  a.tls_ca = Env("LIKENESS_NATS_TLS_CA");
  a.tls_cert = Env("LIKENESS_NATS_TLS_CERT");
  a.tls_key = Env("LIKENESS_NATS_TLS_KEY");
  return a;
}

Result<NKeyCredential> GenerateCredential(const std::string& role) {
  RETURN_IF_ERROR(InitSodium());
  std::vector<uint8_t> seed(crypto_sign_SEEDBYTES);
  randombytes_buf(seed.data(), seed.size());
  NKeyCredential c;
  c.role = role;
  ASSIGN_OR_RETURN(c.public_key, PublicKeyOf(seed));
  c.seed = privacy::SecretBuffer(std::move(seed));
  return c;
}

std::string CredentialFileText(const NKeyCredential& c) {
  return "# likeness cluster credential: keep this file mode 0600, readable only by the account\n"
         "# that runs the role; anyone holding it acts as that role on the cluster's NATS.\n"
         "# role: " +
         c.role + "\n# nkey: " + c.public_key + "\n" + EncodeSeed(c.seed.bytes()) + "\n";
}

Result<NKeyCredential> LoadCredential(const std::filesystem::path& path) {
  RETURN_IF_ERROR(InitSodium());
  auto bytes = privacy::ReadSecretFile(path, 4096);
  if (!bytes.ok()) return bytes.status().WithContext("NATS credential " + path.string());
  std::string text(reinterpret_cast<const char*>(bytes->bytes().data()), bytes->size());
  NKeyCredential c;
  std::string seed_text;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    line = Trim(line);
    if (line.rfind("# role:", 0) == 0) c.role = Trim(line.substr(7));
    if (line.rfind("SU", 0) == 0) seed_text = line;
  }
  sodium_memzero(text.data(), text.size());
  const std::string where = "NATS credential " + path.string();
  if (seed_text.empty()) return Status::InvalidArgument(where + ": no user seed (SU...) in it");
  if (c.role.empty()) return Status::InvalidArgument(where + ": no '# role:' line in it");
  auto seed = DecodeSeed(seed_text);
  sodium_memzero(seed_text.data(), seed_text.size());
  if (!seed.ok()) return seed.status().WithContext(where);
  ASSIGN_OR_RETURN(c.public_key, PublicKeyOf(*seed));
  c.seed = privacy::SecretBuffer(std::move(*seed));
  return c;
}

Result<std::string> SignWithCredential(const NKeyCredential& c, std::string_view message) {
  RETURN_IF_ERROR(InitSodium());
  if (c.seed.size() != crypto_sign_SEEDBYTES) return Status::InvalidArgument("no seed");
  std::array<uint8_t, crypto_sign_PUBLICKEYBYTES> pk{};
  std::array<uint8_t, crypto_sign_SECRETKEYBYTES> sk{};
  crypto_sign_seed_keypair(pk.data(), sk.data(), c.seed.bytes().data());
  std::string sig(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       sk.data());
  sodium_memzero(sk.data(), sk.size());
  return sig;
}

}  // namespace likeness::cluster
