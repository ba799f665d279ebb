#include "server/media_tokens.h"

#include <sodium.h>

#include <algorithm>
#include <charconv>

#include "common/hash.h"

namespace likeness::server {
namespace {

constexpr std::string_view kNoToken =
    "no valid media token for this item: photos and face crops are served only with the token a "
    "purpose-bound search or read returned with them, to the key it was issued to";

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             MediaTokens::Clock::now().time_since_epoch())
      .count();
}

const char* KindName(MediaKind kind) { return kind == MediaKind::kImage ? "image" : "crop"; }

bool ParseInt(std::string_view text, int64_t* out) {
  if (text.empty() || text.size() > 19) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size() && *out > 0;
}

}  // namespace

MediaTokens::MediaTokens(std::chrono::seconds ttl)
    : ttl_(std::max(ttl, std::chrono::seconds(1))), secret_(privacy::SecretKey::Random()) {}

void MediaTokens::Grant(int64_t seq, const governance::Justification& why) {
  const int64_t now = NowSeconds();
  std::lock_guard lock(mu_);
  std::erase_if(grants_, [now](const auto& g) { return g.second.second < now; });
  grants_[seq] = {why, now + ttl_.count()};
}

std::string MediaTokens::Mac(MediaKind kind, int64_t id, int64_t key_id, int64_t seq,
                             int64_t expires) const {
  const std::string message = std::string("likeness-media-v1|") + KindName(kind) + "|" +
                              std::to_string(id) + "|" + std::to_string(key_id) + "|" +
                              std::to_string(seq) + "|" + std::to_string(expires);
  uint8_t mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256(mac, reinterpret_cast<const uint8_t*>(message.data()), message.size(),
                         secret_.data());
  return ToHex(mac);
}

std::string MediaTokens::Issue(MediaKind kind, int64_t id, int64_t key_id, int64_t seq) const {
  const int64_t expires = NowSeconds() + ttl_.count();
  return std::to_string(seq) + "." + std::to_string(expires) + "." +
         Mac(kind, id, key_id, seq, expires);
}

std::string MediaTokens::Url(MediaKind kind, int64_t id, int64_t key_id, int64_t seq) const {
  const std::string path = kind == MediaKind::kImage
                               ? "/api/v1/images/" + std::to_string(id)
                               : "/api/v1/faces/" + std::to_string(id) + "/crop";
  return path + "?token=" + Issue(kind, id, key_id, seq);
}

Result<MediaGrant> MediaTokens::Check(MediaKind kind, int64_t id, int64_t key_id,
                                      std::string_view token) const {
  const size_t a = token.find('.');
  const size_t b = a == std::string_view::npos ? a : token.find('.', a + 1);
  int64_t seq = 0, expires = 0;
  if (b == std::string_view::npos || !ParseInt(token.substr(0, a), &seq) ||
      !ParseInt(token.substr(a + 1, b - a - 1), &expires)) {
    return Status::PermissionDenied(std::string(kNoToken));
  }
  const std::string expected = Mac(kind, id, key_id, seq, expires);
  const std::string_view given = token.substr(b + 1);
  if (given.size() != expected.size() ||
      sodium_memcmp(given.data(), expected.data(), expected.size()) != 0) {
    return Status::PermissionDenied(std::string(kNoToken));
  }
  if (expires < NowSeconds()) {
    return Status::PermissionDenied(
        "this media token has expired: search again (or repeat the read) for fresh ones");
  }
  std::lock_guard lock(mu_);
  const auto it = grants_.find(seq);
  if (it == grants_.end()) return Status::PermissionDenied(std::string(kNoToken));
  return MediaGrant{seq, it->second.first};
}

}  // namespace likeness::server
