// `likeness serve`: the HTTP API and web app over one engine. Thin: flags -> ServerOptions, open
// the engine, bootstrap the first admin key (into the key folder, never to a log), write audit
// anchors when asked (--anchor-dir), serve until SIGTERM/SIGINT.
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
#include <span>
#include <thread>

#include "anchor_writer.h"
#include "cluster/nats_client.h"
#include "cluster/topology.h"
#include "commands.h"
#include "privacy/key_folder.h"
#include "privacy/secret_file.h"
#include "server/api_keys.h"
#include "server/http_server.h"

namespace likeness::cli {
namespace {

// Bootstraps the first admin key: only when the store has never held an admin key (a revoked one
// counts: after an operator revoked every admin key, only `likeness keys create` makes another).
// The key goes to admin.key in the key folder (mode 0600, never overwritten) and never to a log
// or stderr; stderr names the file.
Status EnsureAdminKey(server::ApiKeyStore& keys, const privacy::KeyFolder& folder) {
  ASSIGN_OR_RETURN(const auto all, keys.List());
  for (const auto& k : all) {
    if (k.role == server::Role::kAdmin) return Status::Ok();
  }
  std::error_code ec;
  if (std::filesystem::exists(folder.admin_key(), ec)) {  // never overwritten: mint nothing
    std::cerr << "likeness: no admin key is registered but " << folder.admin_key().string()
              << " exists (from an earlier api_keys.db?); create one with `likeness keys create "
                 "--role admin`\n";
    return Status::Ok();
  }
  for (int n = 1; n < 1000; ++n) {
    const std::string name = n == 1 ? "admin" : "admin-" + std::to_string(n);
    auto made = keys.Create(name, server::Role::kAdmin, "");
    if (!made.ok()) {
      if (made.status().code() == StatusCode::kAlreadyExists) continue;
      return made.status();
    }
    const std::string line = made->key + "\n";
    const Status written = privacy::CreateSecretFile(
        folder.admin_key(), std::span(reinterpret_cast<const uint8_t*>(line.data()), line.size()));
    if (!written.ok()) {
      (void)keys.Revoke(name);  // a key nobody can read is no key
      return written.WithContext("the bootstrap admin key was revoked again");
    }
    std::cerr << "likeness: no admin key existed; created '" << name << "': the key is in "
              << folder.admin_key().string()
              << " (mode 0600; read it once, keep it safe, then delete the file)\n";
    return Status::Ok();
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

struct AnchorFlags {
  std::string dir;
  int every_s = 3600;
};

// The periodic anchor writer, when --anchor-dir is set. A router (--cluster) also puts every
// anchor into the cluster's key-value bucket under "audit-anchor.<instance id>".
Result<std::unique_ptr<AnchorWriter>> StartAnchors(const GlobalFlags& flags,
                                                   const AnchorFlags& anchors,
                                                   const std::filesystem::path& data_dir) {
  if (anchors.dir.empty()) return std::unique_ptr<AnchorWriter>();
  AnchorWriter::Publish publish;
  if (!flags.cluster_url.empty()) {
    ASSIGN_OR_RETURN(std::shared_ptr<cluster::NatsConnection> nats,
                     cluster::NatsConnection::Connect(flags.cluster_url, "likeness-anchor"));
    RETURN_IF_ERROR(nats->EnsureBucket(cluster::kClusterBucket));
    publish = [nats](const privacy::AuditAnchor& a) {
      return nats->KvPut(cluster::kClusterBucket, "audit-anchor." + a.instance_id,
                         privacy::AnchorJson(a));
    };
  }
  return AnchorWriter::Start(data_dir, anchors.dir, std::chrono::seconds(anchors.every_s),
                             std::move(publish));
}

int Serve(const GlobalFlags& flags, server::ServerOptions options,
          const AnchorFlags& anchor_flags) {
  if (Status st = InstallStopHandler(); !st.ok()) return Fail(st);
  if (const auto data = engine::ResolveDataDir(flags.data_dir);
      !anchor_flags.dir.empty() && privacy::IsInside(anchor_flags.dir, data)) {
    return Fail(Status::InvalidArgument("--anchor-dir " + anchor_flags.dir +
                                        " must be outside the data folder " + data.string()));
  }

  GlobalFlags writer = flags;
  writer.writer_role = "serve";  // the server is the folder's one writer while it runs
  auto eng = OpenEngine(writer);
  if (!eng.ok()) return Fail(eng.status());
  auto keys = privacy::OpenKeyFolder((*eng)->options().data_dir);
  if (!keys.ok()) return Fail(keys.status());
  auto srv = server::Server::Create(**eng, options);
  if (!srv.ok()) return Fail(srv.status());
  if (Status st = EnsureAdminKey((*srv)->keys(), *keys); !st.ok()) return Fail(st);
  auto anchors = StartAnchors(flags, anchor_flags, (*eng)->options().data_dir);
  if (!anchors.ok()) return Fail(anchors.status());
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
  anchors->reset();  // the last anchor: the head as the server leaves it
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
  cmd->add_option("--http-threads", options->http_threads,
                  "HTTP worker threads (0: at least 16, sized apart from --threads so a "
                  "browser's keep-alive connections never stall behind the analyzers)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1024));
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
  cmd->add_option("--video-max-seconds", options->video_max_seconds,
                  "longest uploaded video accepted, in seconds (its size is bound by "
                  "--max-body-mb)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  auto anchor = std::make_shared<AnchorFlags>();
  cmd->add_option("--anchor-dir", anchor->dir,
                  "write signed audit anchors to this folder (outside the data folder; a router "
                  "also puts them into the cluster's key-value bucket)");
  cmd->add_option("--anchor-every", anchor->every_s, "seconds between audit anchors")
      ->capture_default_str()
      ->check(CLI::Range(1, 7 * 24 * 3600));
  cmd->callback([&flags, options, body_mb, anchor, exit_code]() {
    options->max_body_bytes = static_cast<size_t>(*body_mb) << 20;
    *exit_code = Serve(flags, *options, *anchor);
  });
}

}  // namespace likeness::cli
