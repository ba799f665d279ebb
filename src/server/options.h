// Everything `likeness serve` can be told, with its default.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "server/rate_limit.h"

namespace likeness::server {

struct ServerOptions {
  std::string listen = "127.0.0.1";  // loopback unless told otherwise
  int port = 8080;                   // 0 picks a free port (tests)
  // Face analyzers (concurrent image jobs).
  int threads = 2;
  // HTTP worker threads, sized apart from the analyzers (HttpWorkers below): a browser keeps up to
  // 6 keep-alive connections to one server, each holding a worker until it idles out, so fewer
  // workers than that stall its requests (crops) behind keep-alive. 0 = automatic.
  int http_threads = 0;
  size_t max_body_bytes = 32u << 20;  // larger requests get 413 before their body is kept
  size_t max_json_bytes = 64u << 10;  // JSON bodies (source declarations) are small
  int max_upload_files = 100;         // files in one POST /sources/{id}/images
  // Images whose header claims more pixels than this are refused (413) before decoding; lower
  // than the engine's own limit because several requests decode at once.
  int64_t max_image_pixels = 40'000'000;
  // Uploaded videos whose header (or decoding) gives a longer duration are refused before they are
  // analysed (the same default as `likeness ingest --video-max-seconds`); max_body_bytes bounds
  // their size.
  double video_max_seconds = 4 * 3600.0;
  int max_top_k = 100;                     // ceiling on top_k for searches
  std::chrono::seconds read_timeout{10};   // a client that stalls this long mid-request is dropped
  std::chrono::seconds write_timeout{30};  // likewise for a client that stops reading
  std::chrono::seconds keep_alive_timeout{5};
  // How long a request waits for a free analyzer before 503.
  std::chrono::milliseconds analyzer_wait{20'000};
  // After an upload, the index file is saved within this delay (and at stop), not per request:
  // a save rewrites the whole file. A crash before the save costs an index rebuild at next start.
  std::chrono::milliseconds index_save_delay{5'000};

  // Rate limits (token buckets). Every request takes from its client address's bucket first; a
  // request with a valid key then takes from the key's bucket. Failed authentications take from a
  // per-address bucket of their own, so guessing keys is slow. The selfcheck role (a public kiosk)
  // gets its own, much smaller buckets.
  BucketSpec per_address{50, 100};
  BucketSpec per_key{20, 40};
  BucketSpec auth_failures_per_address{1, 10};
  BucketSpec selfcheck_per_key{2, 10};
  BucketSpec selfcheck_per_address{0.2, 3};
  // Hard caps on self-check challenges (each check needs one): per client address (an IPv6 /64)
  // per hour, and per kiosk key per UTC day. 0 disables a cap.
  int64_t selfcheck_challenges_per_address_hour = 20;
  int64_t selfcheck_daily_cap_per_key = 2000;
  // Self-check frames whose header claims more pixels than this are refused before decoding.
  int64_t selfcheck_max_frame_pixels = 1'000'000;
  // Peers whose X-Forwarded-For is believed (exact addresses, e.g. the TLS proxy's). Empty: the
  // header is ignored and the connection's peer is the client (server/client_address.h).
  std::vector<std::string> trusted_proxies;

  // The public self-check: which liveness challenges it issues (a comma list of turn-left,
  // turn-right, blink) and how long a challenge or a receipt stays valid.
  std::string selfcheck_challenges = "turn-left,turn-right,blink";
  std::chrono::seconds selfcheck_challenge_ttl{60};

  // How long the media tokens a search or people read returns stay valid (media_tokens.h).
  std::chrono::seconds media_token_ttl{600};

  // Where operational messages go (one line each, no trailing newline). Default: stderr.
  std::function<void(std::string_view)> log;
};

// The HTTP pool: http_threads when set, else max(kMinHttpWorkers, 2 * threads + 2), so cheap
// requests (health, stats, static files, crops) are served while every analyzer is busy and a
// browser's connections never exhaust it.
inline constexpr int kMinHttpWorkers = 16;
inline size_t HttpWorkers(const ServerOptions& o) {
  if (o.http_threads > 0) return static_cast<size_t>(o.http_threads);
  const int derived = 2 * o.threads + 2;
  return static_cast<size_t>(derived > kMinHttpWorkers ? derived : kMinHttpWorkers);
}

}  // namespace likeness::server
