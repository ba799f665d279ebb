// The Likeness HTTP server: cpp-httplib underneath, the route table (routes.cc) on top.
//
// Request path: httplib parses the request line and headers; admission (route match -> 404/405,
// per-address rate limit -> 429, API key -> 401, role -> 403, per-key rate limit -> 429) answers
// or lets the request through - before reading anything more for requests without a body, after
// httplib has read the body (at most ServerOptions::max_body_bytes, else 413) for the others, so
// no unread bytes are ever left on a kept-alive connection. The dispatcher then calls the route's
// handler, catching anything it throws, mapping its Status to the JSON error reply, and recording
// metrics. Replies
// carry no-store and a strict Content-Security-Policy.
//
// Lifecycle: Create -> Bind -> Run (blocks) ; Stop from another thread (a signal watcher, a test)
// makes Run stop accepting, finish the requests in flight, and return.
//
// Thread safety: Stop, port and the accessors may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <shared_mutex>

#include "engine/engine.h"
#include "likeness/status.h"
#include "server/options.h"
#include "server/router.h"

namespace httplib {
class Server;
class Stream;
struct Request;
}  // namespace httplib

namespace likeness::governance {
class Governance;
}

namespace likeness::server {

class AnalyzerPool;
class IndexSaver;
class MediaTokens;
class Recalibrator;
class SelfCheckState;
class ApiKeyStore;
class Metrics;
class RateLimiter;
class PeopleClusterJob;
struct Services;

class Server {
 public:
  // Opens the key store (<data>/api_keys.db) and the governance facade (audit log, privacy key
  // store, opt-outs; it installs its ingest policy on the engine) in the engine's data folder, and
  // creates options.threads analyzers. The engine must outlive the server; while the server lives
  // the engine carries the governance ingest policy. Errors: InvalidArgument (options), and those
  // of the stores and the analyzers.
  static Result<std::unique_ptr<Server>> Create(engine::Engine& engine, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds options.listen:options.port (port 0: a free port, see port()). IOError when the address
  // cannot be bound.
  Status Bind();
  // The bound port (after Bind).
  int port() const { return port_; }
  // Serves until Stop. REQUIRES: Bind succeeded. IOError if the listener fails.
  Status Run();
  // Stops accepting; Run returns once in-flight requests are done. Idempotent.
  void Stop();
  // Waits until Run is accepting (for tests). False on timeout.
  bool WaitUntilRunning(std::chrono::milliseconds timeout) const;

  // Serves one request read from `stream` as if it came on a connection that closes after it (no
  // socket, no listener; Bind/Run are not needed). For the request-parsing fuzz target and tests:
  // the whole path runs - httplib's parsing, admission, dispatch, the handler, the reply.
  void ServeOneRequest(httplib::Stream& stream);

  const Router& router() const { return router_; }
  ApiKeyStore& keys() { return *keys_; }
  governance::Governance& governance() { return *gov_; }

 private:
  explicit Server(engine::Engine& engine, ServerOptions options);
  void Install();
  // Route match (404/405) and the Gate's admission; nullopt lets the request through.
  std::optional<Reply> Admit(const Router::MatchResult& match, const httplib::Request& req);
  // Admission for requests with a body, identification, and the handler's reply.
  Reply Dispatch(const Router::MatchResult& match, const httplib::Request& req);

  ServerOptions options_;
  std::unique_ptr<ApiKeyStore> keys_;
  std::unique_ptr<governance::Governance> gov_;
  std::unique_ptr<AnalyzerPool> analyzers_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<RateLimiter> limiter_;
  std::unique_ptr<SelfCheckState> selfcheck_;
  std::unique_ptr<IndexSaver> index_saver_;  // destroyed after http_: its last save sees no upload
  std::unique_ptr<MediaTokens> media_;
  std::unique_ptr<Recalibrator> recalibrator_;  // destroyed after http_: no search kicks it then
  Router router_;
  std::unique_ptr<Services> services_;
  std::unique_ptr<httplib::Server> http_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> run_started_{false};   // Run was entered
  std::atomic<bool> run_finished_{false};  // Run returned
  std::shared_mutex store_mu_;
  // Last: destroyed first, so a running clustering job ends while everything it uses still exists.
  std::unique_ptr<PeopleClusterJob> people_cluster_;
};

}  // namespace likeness::server
