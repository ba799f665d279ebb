// `likeness serve`: the HTTP API and web app over one engine. Thin: flags -> ServerOptions, open
// the engine, make sure an admin key exists, serve until SIGTERM/SIGINT.
//
// Signals: the SIGINT/SIGTERM handler only writes one byte to a pipe (async-signal-safe, and it
// works whichever thread the signal lands on; libraries may have started threads before us). A
// watcher thread reads the pipe and asks the server to stop; the server finishes the requests in
// flight and Run returns. A second signal exits at once (exit code 130).
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include "commands.h"
#include "server/api_keys.h"
#include "server/http_server.h"

namespace likeness::cli {
namespace {

// Creates an admin key when there is no active one, and prints it once.
Status EnsureAdminKey(server::ApiKeyStore& keys) {
  ASSIGN_OR_RETURN(bool has_admin, keys.HasActiveKeyWithRole(server::Role::kAdmin));
  if (has_admin) return Status::Ok();
  for (int n = 1; n < 1000; ++n) {
    const std::string name = n == 1 ? "admin" : "admin-" + std::to_string(n);
    auto made = keys.Create(name, server::Role::kAdmin, "");
    if (made.ok()) {
      std::cerr << "likeness: no admin key existed; created '" << name
                << "' (shown once, keep it safe):\n  " << made->key << "\n";
      return Status::Ok();
    }
    if (made.status().code() != StatusCode::kAlreadyExists) return made.status();
  }
  return Status::FailedPrecondition("cannot find a free name for the admin key");
}

int g_stop_pipe[2] = {-1, -1};  // [0] read by the watcher, [1] written by the handler

std::atomic<int> g_stop_signals{0};

// The first signal asks for a graceful stop; a second one ends the process at once.
void OnStopSignal(int sig) {
  if (sig != 0 && g_stop_signals.fetch_add(1) > 0) ::_exit(130);
  const int saved = errno;
  const char byte = 1;
  [[maybe_unused]] ssize_t n = ::write(g_stop_pipe[1], &byte, 1);
  errno = saved;
}

Status InstallStopHandler() {
  if (::pipe2(g_stop_pipe, O_CLOEXEC) != 0) return Status::IOError("cannot create a pipe");
  struct sigaction sa = {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  if (::sigaction(SIGINT, &sa, nullptr) != 0 || ::sigaction(SIGTERM, &sa, nullptr) != 0) {
    return Status::IOError("cannot install the signal handlers");
  }
  return Status::Ok();
}

int Serve(const GlobalFlags& flags, server::ServerOptions options) {
  if (Status st = InstallStopHandler(); !st.ok()) return Fail(st);

  auto eng = OpenEngine(flags);
  if (!eng.ok()) return Fail(eng.status());
  auto srv = server::Server::Create(**eng, options);
  if (!srv.ok()) return Fail(srv.status());
  if (Status st = EnsureAdminKey((*srv)->keys()); !st.ok()) return Fail(st);
  if (Status st = (*srv)->Bind(); !st.ok()) return Fail(st);

  server::Server* s = srv->get();
  std::thread watcher([s] {
    char byte = 0;
    while (::read(g_stop_pipe[0], &byte, 1) < 0 && errno == EINTR) {
    }
    s->Stop();
  });
  std::cerr << "likeness: serving " << (*eng)->options().data_dir.string() << " on http://"
            << options.listen << ":" << s->port() << "/ (Ctrl-C to stop)\n";
  const Status run = s->Run();
  // Wake the watcher if Run ended on its own (listener failure); harmless after a signal.
  OnStopSignal(0);
  watcher.join();
  if (!run.ok()) return Fail(run);
  std::cerr << "likeness: stopped\n";
  return kExitOk;
}

}  // namespace

void RegisterServe(CLI::App& app, GlobalFlags& flags, int* exit_code) {
  auto* cmd = app.add_subcommand("serve", "serve the HTTP API and the web app");
  auto options = std::make_shared<server::ServerOptions>();
  auto body_mb = std::make_shared<int>(static_cast<int>(options->max_body_bytes >> 20));
  cmd->add_option("--listen", options->listen, "address to listen on")->capture_default_str();
  cmd->add_option("--port", options->port, "TCP port (0: any free port)")->capture_default_str();
  cmd->add_option("--threads", options->threads, "face analyzers (concurrent image jobs)")
      ->capture_default_str();
  cmd->add_option("--selfcheck-challenges", options->selfcheck_challenges,
                  "liveness challenges the public self-check issues (comma list of turn-left, "
                  "turn-right, blink)")
      ->capture_default_str();
  cmd->add_option("--selfcheck-per-hour", options->selfcheck_challenges_per_address_hour,
                  "self-check challenges per client address (an IPv6 /64) per hour; 0: no cap")
      ->capture_default_str();
  cmd->add_option("--selfcheck-daily-cap", options->selfcheck_daily_cap_per_key,
                  "self-check challenges per kiosk key per UTC day; 0: no cap")
      ->capture_default_str();
  cmd->add_option("--trusted-proxy", options->trusted_proxies,
                  "a reverse proxy's address whose X-Forwarded-For is believed (repeatable); "
                  "without one the header is ignored");
  cmd->add_option("--max-body-mb", *body_mb, "largest request body, in MiB")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  cmd->callback([&flags, options, body_mb, exit_code]() {
    options->max_body_bytes = static_cast<size_t>(*body_mb) << 20;
    *exit_code = Serve(flags, *options);
  });
}

}  // namespace likeness::cli
