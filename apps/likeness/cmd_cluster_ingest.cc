// likeness cluster ingest: declares a source to every shard and queues its images for the
// workers, with the run in the audit chain of the data folder it runs on (--data: the router's,
// or an administrator's own):
//   cluster.ingest.begin   before anything is queued (source, paths, operator, batch id)
//   cluster.ingest.queued  after queueing (jobs queued), or cluster.ingest.failed (queued so far)
//   cluster.ingest.end     with --wait, once the workers drained the queue
// Each shard writes its own records of the run (cluster.ingest.begin/applied/end: what it
// applied). No audit record, no ingest: a data folder whose audit chain cannot be opened refuses.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "cluster/router.h"
#include "cluster/topology.h"
#include "cluster_cli.h"
#include "gov_cli.h"

namespace likeness::cli {
namespace {

struct IngestArgs {
  NatsFlags nats;
  std::vector<std::string> paths;
  engine::SourceDeclaration source;
  std::string operator_id;
  bool wait = false;
};

// Polls the queue until the workers took every job, showing progress. The jobs finished.
Result<int64_t> WaitForWorkers(cluster::NatsConnection& nats, int64_t queued,
                               std::chrono::steady_clock::time_point start) {
  while (true) {
    ASSIGN_OR_RETURN(uint64_t pending, cluster::PendingJobs(nats));
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const int64_t done = queued - static_cast<int64_t>(pending);
    const double rate = s > 0 ? static_cast<double>(done) / s : 0;
    std::fprintf(stderr, "\rworkers: %lld/%lld images, %.1f/s, ETA %.0f s   ",
                 static_cast<long long>(done), static_cast<long long>(queued), rate,
                 rate > 0 ? static_cast<double>(pending) / rate : 0.0);
    if (pending == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  std::fprintf(stderr, "\n");
  return queued;
}

int RunIngest(IngestArgs& a, const GlobalFlags& flags) {
  auto nats = ConnectNats(a.nats);
  if (!nats.ok()) return Fail(nats.status());
  auto map = cluster::LoadShardMap(**nats);
  if (!map.ok()) return Fail(map.status());
  if (a.source.collector.empty()) {
    const char* user = std::getenv("USER");
    a.source.collector = user ? user : "unknown";
  }
  std::vector<std::filesystem::path> paths(a.paths.begin(), a.paths.end());
  if (a.source.location.empty() && !paths.empty()) {
    a.source.location = std::filesystem::absolute(paths[0]).lexically_normal().string();
  }
  // Refuse a declaration no shard would accept before queueing anything (the shards would drop
  // every image of it).
  auto declared = engine::ValidateDeclaration(a.source);
  if (!declared.ok()) return Fail(declared.status());
  a.source = *declared;
  const std::string operator_id = governance::ResolveOperator(a.operator_id);
  if (operator_id.empty()) {
    return Fail(
        Status::InvalidArgument("cluster ingest needs an operator (--operator or "
                                "$LIKENESS_OPERATOR) for its audit record"));
  }
  auto governed = OpenGoverned(flags);
  if (!governed.ok()) {
    return Fail(
        governed.status().WithContext("cluster ingest is audited in the data folder's "
                                      "audit chain (--data), which cannot be opened"));
  }
  governance::Governance& gov = *governed->gov;
  const std::string batch = cluster::NewBatchId();
  governance::Justification why{operator_id, "cluster ingest", a.source.legal_basis,
                                "batch:" + batch, ""};
  nlohmann::json details = {
      {"batch_id", batch}, {"source", a.source.name}, {"jurisdiction", a.source.jurisdiction},
      {"paths", a.paths},  {"nats", a.nats.url},      {"shards", map->shards}};
  if (auto st = gov.Record("cluster.ingest.begin", why, "", 0, details); !st.ok()) {
    return Fail(st.status());
  }
  const auto start = std::chrono::steady_clock::now();
  int64_t shown = 0;
  auto run = cluster::EnqueueIngest(**nats, *map, a.source, paths, operator_id, batch,
                                    [&shown](const cluster::EnqueueProgress& p) {
                                      std::fprintf(stderr, "\rqueued %lld/%lld",
                                                   static_cast<long long>(p.queued),
                                                   static_cast<long long>(p.total));
                                      shown = p.queued;
                                    });
  std::fprintf(stderr, "\n");
  if (!run.ok()) {
    details["jobs_queued_before_failure"] = shown;
    details["error"] = run.status().ToString();
    (void)gov.Record("cluster.ingest.failed", why, "", shown, details);
    return Fail(run.status());
  }
  details["jobs_queued"] = run->queued;
  if (auto st = gov.Record("cluster.ingest.queued", why, "", run->queued, details); !st.ok()) {
    return Fail(st.status());
  }
  nlohmann::json out = {{"queued", run->queued}, {"batch_id", batch}};
  if (a.wait) {
    auto finished = WaitForWorkers(**nats, run->queued, start);
    if (!finished.ok()) return Fail(finished.status());
    if (Status st = cluster::EndIngest(**nats, *map, batch, operator_id, *finished); !st.ok()) {
      return Fail(st);
    }
    details["jobs_finished"] = *finished;
    details["seconds"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (auto st = gov.Record("cluster.ingest.end", why, "", *finished, details); !st.ok()) {
      return Fail(st.status());
    }
    out["jobs_finished"] = *finished;
  }
  PrintJson(out);
  return kExitOk;
}

}  // namespace

void RegisterClusterIngest(CLI::App* cluster, GlobalFlags& flags, int* exit_code) {
  auto* cmd =
      cluster->add_subcommand("ingest", "queue images of a declared source for the workers");
  auto a = std::make_shared<IngestArgs>();
  cmd->add_option("paths", a->paths, "folders or image files")->required();
  AddNatsFlags(cmd, a->nats);
  cmd->add_option("--source", a->source.name, "source name")->required();
  cmd->add_option("--basis", a->source.legal_basis,
                  "GDPR Art. 6(1) basis and Art. 9(2) condition, e.g. art6-1-e,art9-2-g")
      ->required();
  cmd->add_option("--condition", a->source.art9_condition, "GDPR Art. 9(2) condition");
  cmd->add_option("--jurisdiction", a->source.jurisdiction, "ISO 3166-1 alpha-2")->required();
  cmd->add_option("--retain-until", a->source.retain_until, "retention limit, YYYY-MM-DD");
  cmd->add_option("--collector", a->source.collector, "who collected the photos");
  cmd->add_option("--operator", a->operator_id, "who ingests (default: $LIKENESS_OPERATOR)");
  cmd->add_flag("--wait", a->wait,
                "wait until the workers took every job, showing progress, then end the run");
  cmd->callback([a, &flags, exit_code] { *exit_code = RunIngest(*a, flags); });
}

}  // namespace likeness::cli
