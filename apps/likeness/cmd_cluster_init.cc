// likeness cluster init: the NATS authorization bundle (--auth-out) and the cluster's streams.
//   cluster init --auth-out DIR --shards N [--rotate ROLE]...   writes DIR/nats-auth.conf and one
//       credential per role (DIR/<role>.creds, 0600); connects to nothing. Start nats-server with
//       that config, then:
//   cluster init --shards N --replicas R --creds DIR/admin.creds   creates streams, consumers,
//       buckets and the shard map (idempotent).
#include <cstdio>

#include "cluster/auth_config.h"
#include "cluster/router.h"
#include "cluster/topology.h"
#include "cluster_cli.h"
#include "gov_cli.h"

namespace likeness::cli {

void RegisterClusterInit(CLI::App* cluster, int* exit_code) {
  auto* cmd = cluster->add_subcommand(
      "init", "write the NATS authorization (--auth-out), or create the streams and shard map");
  struct Args {
    NatsFlags nats;
    int shards = 2, replicas = 2;
    int job_ack_wait_s = 30;
    std::string auth_out;
    std::vector<std::string> rotate;
  };
  auto a = std::make_shared<Args>();
  AddNatsFlags(cmd, a->nats);
  cmd->add_option("--shards", a->shards, "number of shards")->capture_default_str();
  cmd->add_option("--replicas", a->replicas, "replicas per shard")->capture_default_str();
  cmd->add_option("--job-ack-wait", a->job_ack_wait_s,
                  "seconds before a job a worker took and did not finish goes to another worker")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  cmd->add_option("--auth-out", a->auth_out,
                  "write nats-auth.conf (nats-server authorization, one nkey user per role) and "
                  "<role>.creds (0600) into this folder, keeping existing credentials; connects "
                  "to nothing");
  cmd->add_option("--rotate", a->rotate,
                  "with --auth-out: replace this role's key (admin, router, worker, shard-N)");
  cmd->callback([a, exit_code] {
    if (!a->auth_out.empty()) {
      auto bundle = cluster::WriteAuthBundle(a->auth_out, a->shards, a->rotate);
      if (!bundle.ok()) {
        *exit_code = Fail(bundle.status());
        return;
      }
      PrintJson(*bundle);
      std::fprintf(stderr,
                   "likeness: start nats-server with this authorization, e.g.\n"
                   "  nats-server -c %s -js -sd /var/lib/likeness/nats\n"
                   "then create the streams as admin:\n"
                   "  likeness cluster init --shards %d --replicas %d --creds %s/admin.creds\n"
                   "and give each role's process only its own credential (--creds or "
                   "$LIKENESS_NATS_CREDS).\n",
                   (*bundle)["conf"].get<std::string>().c_str(), a->shards, a->replicas,
                   a->auth_out.c_str());
      return;
    }
    if (!a->rotate.empty()) {
      *exit_code = Fail(Status::InvalidArgument("--rotate needs --auth-out DIR"));
      return;
    }
    auto nats = ConnectNats(a->nats);
    if (!nats.ok()) {
      *exit_code = Fail(nats.status());
      return;
    }
    cluster::ShardMap map;
    map.shards = a->shards;
    map.replicas = a->replicas;
    map.job_ack_wait = std::chrono::seconds(a->job_ack_wait_s);
    if (Status st = cluster::InitCluster(**nats, map); !st.ok()) {
      *exit_code = Fail(st);
      return;
    }
    auto status = cluster::ClusterStatus(**nats);
    if (!status.ok()) {
      *exit_code = Fail(status.status());
      return;
    }
    PrintJson(*status);
  });
}

}  // namespace likeness::cli
