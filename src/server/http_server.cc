#include "server/http_server.h"

#include <httplib.h>

#include <iostream>
#include <mutex>
#include <thread>

#include "governance/governance.h"
#include "server/analyzer_pool.h"
#include "server/api_keys.h"
#include "server/auth.h"
#include "server/index_saver.h"
#include "server/metrics.h"
#include "server/rate_limit.h"
#include "server/routes.h"
#include "server/services.h"
#include "server/upload_ingest.h"

namespace likeness::server {
namespace {

// Sent with every response. The web app loads nothing from elsewhere, so the policy allows only
// this origin; images shown in the app are fetched with the key and displayed as blob: URLs.
const httplib::Headers kSecurityHeaders = {
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "no-referrer"},
    {"Content-Security-Policy",
     "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
     "media-src blob:; "
     "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"},
};

struct HttpError {
  std::string_view code;
  std::string_view message;
};

// For the errors httplib answers by itself (before or instead of a handler).
HttpError DescribeHttpError(int status) {
  switch (status) {
    case 400:
      return {"invalid_argument", "the request is malformed"};
    case 404:
      return {"not_found", "no such route"};
    case 413:
      return {"payload_too_large", "the request body is larger than this server accepts"};
    case 414:
      return {"uri_too_long", "the request URI is too long"};
    case 416:
      return {"invalid_argument", "the requested range cannot be satisfied"};
    case 500:
      return {"internal", "the server could not complete the request"};
    default:
      return {"http_error", "the request could not be handled"};
  }
}

bool HasBody(const httplib::Request& req) {
  const std::string length = req.get_header_value("Content-Length");
  return (!length.empty() && length != "0") || req.has_header("Transfer-Encoding");
}

void Send(const Reply& reply, httplib::Response& res) {
  res.status = reply.status;
  bool cache_set = false;
  for (const auto& [k, v] : reply.headers) {
    res.set_header(k, v);
    cache_set = cache_set || k == "Cache-Control";
  }
  if (!cache_set) res.set_header("Cache-Control", "no-store");
  res.set_content(reply.body, reply.content_type);
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// httplib's request processing is protected; this exposes it for ServeOneRequest.
class HttpCore : public httplib::Server {
 public:
  void ServeOne(httplib::Stream& stream) {
    bool connection_closed = false;
    process_request(stream, /*close_connection=*/true, connection_closed, nullptr);
  }
};

void StderrLog(std::string_view line) {
  static std::mutex mu;
  std::lock_guard lock(mu);
  std::cerr << line << '\n';
}

}  // namespace

Server::Server(engine::Engine& /*engine*/, ServerOptions options) : options_(std::move(options)) {}

Server::~Server() = default;

Result<std::unique_ptr<Server>> Server::Create(engine::Engine& engine, ServerOptions options) {
  if (options.threads < 1) return Status::InvalidArgument("--threads must be at least 1");
  if (options.port < 0 || options.port > 65535) {
    return Status::InvalidArgument("--port must be from 0 to 65535");
  }
  if (!options.log) options.log = StderrLog;
  std::unique_ptr<Server> s(new Server(engine, std::move(options)));
  const auto& data_dir = engine.options().data_dir;
  ASSIGN_OR_RETURN(s->keys_, ApiKeyStore::Open(data_dir));
  ASSIGN_OR_RETURN(s->gov_, governance::Governance::Open(engine, "likeness-server"));
  ASSIGN_OR_RETURN(s->analyzers_, AnalyzerPool::Create(engine, s->options_.threads));
  s->metrics_ = std::make_unique<Metrics>();
  s->limiter_ = std::make_unique<RateLimiter>();
  s->router_ = BuildRouter();
  ASSIGN_OR_RETURN(auto kinds, ParseChallengeKinds(s->options_.selfcheck_challenges));
  s->selfcheck_ =
      std::make_unique<SelfCheckState>(std::move(kinds), s->options_.selfcheck_challenge_ttl);
  s->index_saver_ =
      std::make_unique<IndexSaver>(engine, s->options_.index_save_delay, s->options_.log);
  s->services_ = std::unique_ptr<Services>(
      new Services{engine, *s->gov_, *s->analyzers_, *s->keys_, s->gov_->audit(), *s->metrics_,
                   s->options_, s->store_mu_, *s->selfcheck_, *s->index_saver_});
  // Stored upload copies whose image was erased (by the CLI, or before a crash) go now.
  if (auto swept = SweepUploads(engine, /*exclusive=*/true); !swept.ok()) {
    s->options_.log("upload sweep: " + swept.status().ToString());
  } else if (*swept > 0) {
    s->options_.log("upload sweep: removed " + std::to_string(*swept) + " orphaned file(s)");
  }
  s->Install();
  return s;
}

void Server::Install() {
  http_ = std::make_unique<HttpCore>();
  auto& http = *http_;
  const size_t workers = static_cast<size_t>(2 * options_.threads + 2);
  http.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
  http.set_payload_max_length(options_.max_body_bytes);
  http.set_read_timeout(options_.read_timeout);
  http.set_write_timeout(options_.write_timeout);
  http.set_keep_alive_timeout(options_.keep_alive_timeout.count());
  http.set_default_headers(kSecurityHeaders);

  // Admission for requests without a body, before anything else is read. Requests with a body are
  // admitted by the dispatcher once httplib has read it: httplib cannot close a connection whose
  // body it left unread, and the unread bytes would be parsed as the next request.
  http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (HasBody(req)) return httplib::Server::HandlerResponse::Unhandled;
    const auto start = std::chrono::steady_clock::now();
    const auto match = router_.Match(req.method, req.path);
    std::optional<Reply> refusal = Admit(match, req);
    if (!refusal) return httplib::Server::HandlerResponse::Unhandled;
    Send(*refusal, res);
    metrics_->ObserveRequest(req.method, match.route ? match.route->pattern : "unmatched",
                             refusal->status, Seconds(start));
    return httplib::Server::HandlerResponse::Handled;
  });

  // Dispatch: one catch-all per method; the route table decides.
  const auto dispatch = [this](const httplib::Request& req, httplib::Response& res) {
    const auto start = std::chrono::steady_clock::now();
    metrics_->AddInFlight(1);
    const auto match = router_.Match(req.method, req.path);
    Reply reply;
    try {
      reply = Dispatch(match, req);
    } catch (const std::exception& ex) {
      reply = Reply::FromStatus(Status::Internal(std::string("handler threw: ") + ex.what()));
    } catch (...) {
      reply = Reply::FromStatus(Status::Internal("handler threw a non-standard exception"));
    }
    if (!reply.log_detail.empty()) {
      options_.log(req.method + " " + req.path + " -> " + std::to_string(reply.status) + ": " +
                   reply.log_detail);
    }
    Send(reply, res);
    metrics_->AddInFlight(-1);
    metrics_->ObserveRequest(req.method, match.route ? match.route->pattern : "unmatched",
                             reply.status, Seconds(start));
  };
  http.Get(".*", dispatch);
  http.Post(".*", dispatch);

  // Errors httplib produces itself (malformed request, body over the limit, ...): JSON too.
  http.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        const HttpError e = DescribeHttpError(res.status);
        res.set_header("Cache-Control", "no-store");
        res.set_content(ErrorJson(e.code, e.message), "application/json");
        const auto match = router_.Match(req.method, req.path);
        metrics_->ObserveRequest(req.method, match.route ? match.route->pattern : "unmatched",
                                 res.status, 0);
        return httplib::Server::HandlerResponse::Handled;
      }));
  http.set_exception_handler(
      [this](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
        options_.log(req.method + " " + req.path + ": unhandled exception in the HTTP layer");
        res.status = 500;
        res.set_content(ErrorJson("internal", "the server could not complete the request"),
                        "application/json");
      });
}

void Server::ServeOneRequest(httplib::Stream& stream) {
  static_cast<HttpCore&>(*http_).ServeOne(stream);
}

std::optional<Reply> Server::Admit(const Router::MatchResult& match, const httplib::Request& req) {
  if (match.route == nullptr) {
    return match.path_known
               ? Reply::Error(405, "method_not_allowed", "this route does not accept " + req.method)
               : Reply::Error(404, "not_found", "no such route");
  }
  Gate gate(*keys_, *limiter_, *metrics_, options_);
  return gate.Admit(*match.route, req);
}

Reply Server::Dispatch(const Router::MatchResult& match, const httplib::Request& req) {
  std::optional<ApiKeyInfo> caller;
  if (HasBody(req)) {
    // Not admitted yet (see the pre-routing handler).
    if (auto refusal = Admit(match, req)) return std::move(*refusal);
  } else if (match.route == nullptr) {
    return Reply::Error(404, "not_found", "no such route");  // admission answered it already
  }
  if (match.route->access == Access::kRoles) {
    // Identify again: the key may have been revoked since admission. No rate limit is taken.
    Gate gate(*keys_, *limiter_, *metrics_, options_);
    auto identity = gate.Identify(*match.route, req);
    if (auto* refusal = std::get_if<Reply>(&identity)) return std::move(*refusal);
    caller = std::move(std::get<ApiKeyInfo>(identity));
  }
  Call call{req, caller ? &*caller : nullptr, match.params};
  auto result = match.route->handler(*services_, call);
  return result.ok() ? std::move(*result) : Reply::FromStatus(result.status());
}

Status Server::Bind() {
  if (options_.port == 0) {
    const int port = http_->bind_to_any_port(options_.listen);
    if (port <= 0) return Status::IOError("cannot listen on " + options_.listen);
    port_ = port;
  } else {
    if (!http_->bind_to_port(options_.listen, options_.port)) {
      return Status::IOError("cannot listen on " + options_.listen + ":" +
                             std::to_string(options_.port) + " (in use, or not an address here)");
    }
    port_ = options_.port;
  }
  return Status::Ok();
}

Status Server::Run() {
  run_started_.store(true);
  bool clean = true;
  if (!stopping_.load()) clean = http_->listen_after_bind();  // a Stop before Run: nothing to do
  run_finished_.store(true);
  // listen_after_bind also returns false when Stop() closed the socket: that is a clean end.
  if (!clean && !stopping_.load()) return Status::IOError("the listener failed");
  return Status::Ok();
}

void Server::Stop() {
  stopping_.store(true);
  // httplib's stop() does nothing until its listen loop runs, so a Stop that lands between Run's
  // start and the loop's (a signal right after start-up) would be lost: wait for either.
  // Regression: `serve` sometimes ignored a SIGINT sent as soon as it printed its address.
  while (run_started_.load() && !run_finished_.load() && !http_->is_running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  http_->stop();
}

bool Server::WaitUntilRunning(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!http_->is_running()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace likeness::server
