// Media tokens: the only way to read a stored photo or face crop through the API. A purpose-bound,
// audited read (a search, a people read, a subject access report, an erasure preview) returns, for
// each face and photo it showed, a short-lived token signed with this server process's secret and
// bound to (what: "image" or "crop", which id, which API key, which audit record). GET
// /api/v1/images/{id}?token=... and /api/v1/faces/{id}/crop?token=... serve only with a token that
// verifies for exactly that object and the calling key, before it expires; each such read is
// audited (action "media") under the purpose, legal basis and case of the record that granted it.
//
// What a token reveals: the granting audit record's seq and the expiry time (both already known
// to the key holder); the object and key are only inside the MAC. A token is useless to any other
// key, for any other object, after its lifetime, and after the server restarts (the secret is
// random per process and never stored). Tokens travel in URLs, so proxies may log them: without the
// key they open nothing.
//
// Thread safety: all members are thread safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "governance/justification.h"
#include "likeness/status.h"
#include "privacy/secret.h"

namespace likeness::server {

enum class MediaKind { kImage, kCrop };

// The justification a verified token carries back to the read it opens.
struct MediaGrant {
  int64_t audit_seq = 0;  // the record that granted it (a search, a people read, ...)
  governance::Justification why;
};

class MediaTokens {
 public:
  using Clock = std::chrono::system_clock;
  // A fresh random secret; tokens live `ttl` (at least one second).
  explicit MediaTokens(std::chrono::seconds ttl);

  // Remembers the justification of audit record `seq` for the reads its tokens will open (kept
  // until its tokens have expired).
  void Grant(int64_t seq, const governance::Justification& why);
  // A token for `kind` `id`, bound to API key `key_id` and audit record `seq`.
  std::string Issue(MediaKind kind, int64_t id, int64_t key_id, int64_t seq) const;
  // "<path>?token=<token>".
  std::string Url(MediaKind kind, int64_t id, int64_t key_id, int64_t seq) const;
  // The grant behind `token` when it verifies for (kind, id, key_id) and has not expired;
  // PermissionDenied otherwise (the same message whether the token is missing, malformed, forged,
  // for another object or key, or its grant is gone; "expired" only for a genuine expired token).
  Result<MediaGrant> Check(MediaKind kind, int64_t id, int64_t key_id,
                           std::string_view token) const;

  std::chrono::seconds ttl() const { return ttl_; }

 private:
  std::string Mac(MediaKind kind, int64_t id, int64_t key_id, int64_t seq, int64_t expires) const;

  const std::chrono::seconds ttl_;
  const privacy::SecretKey secret_;
  mutable std::mutex mu_;
  // audit seq -> (justification, when its last token expires).
  std::map<int64_t, std::pair<governance::Justification, int64_t>> grants_;
};

}  // namespace likeness::server
