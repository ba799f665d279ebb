// likeness cluster: the roles and the administration of a cluster over NATS (src/cluster/).
//   cluster init     --auth-out DIR --shards N [--rotate ROLE]   (cmd_cluster_init.cc)
//   cluster init     --nats URL --creds admin.creds --shards N --replicas R
//   cluster shard    --nats URL --shard N --replica R      (--data: this replica's folder)
//   cluster worker   --nats URL --source-root DIR [--name NAME]   (--data: a scratch folder)
//   cluster ingest   PATH... --nats URL --source ... --basis ... --jurisdiction ... [--wait]
//                    (cmd_cluster_ingest.cc)
// Every command takes --creds FILE (its role's NATS credential) and --tls-ca/--tls-cert/--tls-key.
//   cluster erase    --nats URL (--face ID | --image SHA256 | --source NAME | --jurisdiction CC
//                    | --subject PHOTO) + justification [--wait S]
//   cluster optout   PHOTO --request REF --nats URL + justification [--wait S]
//   cluster receipt  ID --nats URL
//   cluster status   --nats URL
//   cluster bench    --nats URL [--queries N]   (scatter-gather latency of embedding searches)
// The router is `likeness serve --cluster URL` (or any search command with --cluster URL).
#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <random>
#include <thread>

#include "cluster/router.h"
#include "cluster/shard_node.h"
#include "cluster/topology.h"
#include "cluster/worker_node.h"
#include "cluster_cli.h"
#include "commands.h"
#include "gov_cli.h"
#include "imageio/decode.h"

namespace likeness::cli {

void RegisterClusterInit(CLI::App* cluster, int* exit_code);                        // init
void RegisterClusterIngest(CLI::App* cluster, GlobalFlags& flags, int* exit_code);  // ingest

namespace {

std::atomic<bool> g_cluster_stop{false};
void OnClusterStop(int) { g_cluster_stop.store(true); }

void InstallClusterStop() {
  struct sigaction sa = {};
  sa.sa_handler = OnClusterStop;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

engine::EngineOptions EngineOptionsFrom(const GlobalFlags& flags) {
  engine::EngineOptions o;
  o.data_dir = engine::ResolveDataDir(flags.data_dir);
  o.index_factory = flags.index_factory;
  o.analyze.min_face_px = flags.min_face_px;
  o.analyze.tiling = !flags.no_tiling;
  o.analyze.small_faces = flags.small_faces == "on";
  return o;
}

void LogLine(const std::string& line) { std::fprintf(stderr, "likeness: %s\n", line.c_str()); }

Result<std::unique_ptr<cluster::NatsConnection>> Connect(const NatsFlags& nats) {
  return ConnectNats(nats);
}

// A shard map and a connection, for the admin commands.
struct Admin {
  std::unique_ptr<cluster::NatsConnection> nats;
  cluster::ShardMap map;
};
Result<Admin> OpenAdmin(const NatsFlags& url) {
  Admin a;
  ASSIGN_OR_RETURN(a.nats, Connect(url));
  ASSIGN_OR_RETURN(a.map, cluster::LoadShardMap(*a.nats));
  return a;
}

// Prints the receipt and returns the exit code: 0 when every shard acknowledged, else 1 with a
// note that the erasure stays queued for the shards that are down.
int ReportReceipt(const nlohmann::json& receipt) {
  PrintJson(receipt);
  if (receipt.value("complete", false)) return kExitOk;
  std::fprintf(stderr,
               "likeness: not every shard has applied it yet; it is durable in their logs and is "
               "applied when they return (check with `likeness cluster receipt %s`)\n",
               receipt.value("request_id", "").c_str());
  return 1;
}

// Writes an erasure or opt-out into every shard's log, waits up to `wait_s` for the receipts and
// reports them (ReportReceipt's exit code).
int SendAndReport(const NatsFlags& nats_url, const cluster::ShardWrite& write, double wait_s) {
  auto admin = OpenAdmin(nats_url);
  if (!admin.ok()) return Fail(admin.status());
  auto id = cluster::SendErasure(*admin->nats, admin->map, write);
  if (!id.ok()) return Fail(id.status());
  auto receipt =
      cluster::AwaitReceipt(*admin->nats, admin->map, *id,
                            std::chrono::milliseconds(static_cast<int64_t>(wait_s * 1000)));
  if (!receipt.ok()) return Fail(receipt.status());
  return ReportReceipt(*receipt);
}

void RegisterShard(CLI::App* cluster, GlobalFlags& flags, int* exit_code) {
  auto* cmd = cluster->add_subcommand("shard", "run one replica of one shard (until SIGTERM)");
  auto o = std::make_shared<cluster::ShardNodeOptions>();
  auto nats = std::make_shared<NatsFlags>();
  AddNatsFlags(cmd, *nats);
  cmd->add_option("--shard", o->shard, "shard number (0-based)")->required();
  cmd->add_option("--replica", o->replica, "replica number (0-based)")->required();
  cmd->callback([&flags, o, nats, exit_code] {
    InstallClusterStop();
    o->nats_url = nats->url;
    o->auth = nats->auth;
    o->engine = EngineOptionsFrom(flags);
    o->stop = &g_cluster_stop;
    o->log = LogLine;
    if (Status st = cluster::RunShardNode(*o); !st.ok()) *exit_code = Fail(st);
  });
}

void RegisterWorker(CLI::App* cluster, GlobalFlags& flags, int* exit_code) {
  auto* cmd =
      cluster->add_subcommand("worker", "pull ingest jobs and feed the shards (until SIGTERM)");
  auto o = std::make_shared<cluster::WorkerNodeOptions>();
  o->name = "worker-" + std::to_string(::getpid());
  auto nats = std::make_shared<NatsFlags>();
  AddNatsFlags(cmd, *nats);
  cmd->add_option("--name", o->name, "worker name (letters, digits, - and _)");
  auto roots = std::make_shared<std::vector<std::string>>();
  cmd->add_option("--source-root", *roots,
                  "a folder this worker may read images from (repeatable; or "
                  "$LIKENESS_SOURCE_ROOTS, ':'-separated): jobs naming any other path are refused");
  cmd->callback([&flags, o, nats, roots, exit_code] {
    InstallClusterStop();
    o->nats_url = nats->url;
    o->auth = nats->auth;
    for (const auto& r : *roots) o->source_roots.emplace_back(r);
    if (roots->empty()) {
      if (const char* env = std::getenv("LIKENESS_SOURCE_ROOTS"); env && *env) {
        std::string list = env;
        for (size_t at = 0; at <= list.size();) {
          const size_t end = std::min(list.find(':', at), list.size());
          if (end > at) o->source_roots.emplace_back(list.substr(at, end - at));
          at = end + 1;
        }
      }
    }
    o->engine = EngineOptionsFrom(flags);
    o->stop = &g_cluster_stop;
    o->log = LogLine;
    if (Status st = cluster::RunWorkerNode(*o); !st.ok()) *exit_code = Fail(st);
  });
}

Result<std::pair<Embedding, std::string>> ProbeTemplate(const std::string& photo, bool largest,
                                                        const GlobalFlags& flags) {
  ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, imageio::ReadFileBytes(photo));
  ASSIGN_OR_RETURN(auto eng, engine::Engine::Open(EngineOptionsFrom(flags)));
  ASSIGN_OR_RETURN(engine::SearchResponse r, governance::SingleFaceProbe(*eng, bytes, largest));
  return std::make_pair(r.faces[0].embedding, r.probe_sha256);
}

void RegisterClusterErase(CLI::App* cluster, GlobalFlags& flags, int* exit_code) {
  auto* cmd =
      cluster->add_subcommand("erase", "erase across every shard, with a receipt per shard");
  struct Args {
    NatsFlags nats;
    std::string face, image, source, jurisdiction, subject;
    bool largest = false;
    float threshold = engine::kDefaultMatchThreshold;
    double wait_s = 30;
    JustificationFlags why;
  };
  auto a = std::make_shared<Args>();
  AddNatsFlags(cmd, a->nats);
  cmd->add_option("--face", a->face, "one face id (as search returns it)");
  cmd->add_option("--image", a->image, "one image, by the SHA-256 of its bytes");
  cmd->add_option("--source", a->source, "a whole source by name (and its data keys)");
  cmd->add_option("--jurisdiction", a->jurisdiction, "every source of a country (ISO code)");
  cmd->add_option("--subject", a->subject, "a probe photo: every held face matching it");
  cmd->add_option("--threshold", a->threshold, "--subject: cosine of a match")
      ->capture_default_str();
  cmd->add_flag("--largest", a->largest, "--subject: use the largest of several faces");
  cmd->add_option("--wait", a->wait_s, "seconds to wait for every shard's receipt")
      ->capture_default_str();
  AddJustificationFlags(cmd, a->why);
  cmd->callback([&flags, a, exit_code] {
    cluster::ShardWrite w;
    w.op = cluster::ShardWrite::Op::kErase;
    int asked = 0;
    for (const auto& [kind, value] :
         std::vector<std::pair<const char*, std::string>>{{"face", a->face},
                                                          {"image", a->image},
                                                          {"source", a->source},
                                                          {"jurisdiction", a->jurisdiction},
                                                          {"subject", a->subject}}) {
      if (value.empty()) continue;
      ++asked;
      w.kind = kind;
      w.value = value;
    }
    if (asked != 1) {
      *exit_code = Fail(Status::InvalidArgument(
          "name exactly one of --face, --image, --source, --jurisdiction, --subject"));
      return;
    }
    auto why = MakeJustification(a->why, false, "erasure", "art6-1-c");
    if (!why.ok()) {
      *exit_code = Fail(why.status().WithContext("erase refused"));
      return;
    }
    w.why = *why;
    if (w.kind == "subject") {
      auto t = ProbeTemplate(a->subject, a->largest, flags);
      if (!t.ok()) {
        *exit_code = Fail(t.status().WithContext(a->subject));
        return;
      }
      w.embedding = t->first;
      w.value = t->second;  // the audit keeps the probe's hash, never the photo
      w.threshold = a->threshold;
    }
    *exit_code = SendAndReport(a->nats, w, a->wait_s);
  });
}

void RegisterClusterOptOut(CLI::App* cluster, GlobalFlags& flags, int* exit_code) {
  auto* cmd =
      cluster->add_subcommand("optout", "record an opt-out on every shard (erases matches)");
  struct Args {
    NatsFlags nats;
    std::string photo, request;
    bool largest = false;
    double wait_s = 30;
    JustificationFlags why;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("photo", a->photo, "a photo of the person")->required();
  cmd->add_option("--request", a->request, "the opt-out request's reference")->required();
  AddNatsFlags(cmd, a->nats);
  cmd->add_flag("--largest", a->largest, "use the largest of several faces");
  cmd->add_option("--wait", a->wait_s, "seconds to wait for every shard's receipt")
      ->capture_default_str();
  AddJustificationFlags(cmd, a->why);
  cmd->callback([&flags, a, exit_code] {
    auto why = MakeJustification(a->why, false, "opt-out request", "art6-1-c");
    if (!why.ok()) {
      *exit_code = Fail(why.status().WithContext("opt-out refused"));
      return;
    }
    auto t = ProbeTemplate(a->photo, a->largest, flags);
    if (!t.ok()) {
      *exit_code = Fail(t.status().WithContext(a->photo));
      return;
    }
    cluster::ShardWrite w;
    w.op = cluster::ShardWrite::Op::kOptOut;
    w.kind = "optout";
    w.value = a->request;
    w.embedding = t->first;
    w.probe_sha256 = t->second;
    w.why = *why;
    *exit_code = SendAndReport(a->nats, w, a->wait_s);
  });
}

void RegisterReceipt(CLI::App* cluster, int* exit_code) {
  auto* cmd = cluster->add_subcommand("receipt", "an erasure's receipt: which shards applied it");
  auto nats = std::make_shared<NatsFlags>();
  auto id = std::make_shared<std::string>();
  cmd->add_option("request", *id, "the request id erase printed")->required();
  AddNatsFlags(cmd, *nats);
  cmd->callback([nats, id, exit_code] {
    auto admin = OpenAdmin(*nats);
    if (!admin.ok()) {
      *exit_code = Fail(admin.status());
      return;
    }
    auto receipt = cluster::ErasureReceipt(*admin->nats, admin->map, *id);
    if (!receipt.ok()) {
      *exit_code = Fail(receipt.status());
      return;
    }
    *exit_code = ReportReceipt(*receipt);
  });
}

void RegisterStatus(CLI::App* cluster, int* exit_code) {
  auto* cmd = cluster->add_subcommand("status", "shards, replicas, workers and queues");
  auto nats = std::make_shared<NatsFlags>();
  AddNatsFlags(cmd, *nats);
  cmd->callback([nats, exit_code] {
    auto c = Connect(*nats);
    if (!c.ok()) {
      *exit_code = Fail(c.status());
      return;
    }
    auto status = cluster::ClusterStatus(**c);
    if (!status.ok()) {
      *exit_code = Fail(status.status());
      return;
    }
    PrintJson(*status);
  });
}

void RegisterClusterBench(CLI::App* cluster, int* exit_code) {
  auto* cmd = cluster->add_subcommand(
      "bench", "scatter-gather latency: random unit probes searched over every shard");
  struct Args {
    NatsFlags nats;
    int queries = 200, top_k = 10;
  };
  auto a = std::make_shared<Args>();
  AddNatsFlags(cmd, a->nats);
  cmd->add_option("--queries", a->queries, "probes to search, one after another")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--top-k", a->top_k, "results per probe")->capture_default_str();
  cmd->callback([a, exit_code] {
    auto c = Connect(a->nats);
    if (!c.ok()) {
      *exit_code = Fail(c.status());
      return;
    }
    auto map = cluster::LoadShardMap(**c);
    if (!map.ok()) {
      *exit_code = Fail(map.status());
      return;
    }
    cluster::ClusterSearcher searcher(std::shared_ptr<cluster::NatsConnection>(std::move(*c)),
                                      *map);
    std::mt19937 rng(11);
    std::normal_distribution<float> normal;
    engine::SearchOptions options;
    options.top_k = a->top_k;
    std::vector<double> ms;
    for (int q = 0; q < a->queries; ++q) {
      Embedding e(kEmbeddingDim);
      double norm = 0;
      for (float& x : e) {
        x = normal(rng);
        norm += static_cast<double>(x) * x;
      }
      for (float& x : e) x = static_cast<float>(x / std::sqrt(norm));
      const auto t = std::chrono::steady_clock::now();
      auto r = searcher.Search(e, options);
      if (!r.ok()) {
        *exit_code = Fail(r.status());
        return;
      }
      ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count());
    }
    std::sort(ms.begin(), ms.end());
    auto pct = [&ms](double p) {
      return ms[static_cast<size_t>(p * static_cast<double>(ms.size() - 1))];
    };
    PrintJson({{"shards", map->shards},
               {"queries", a->queries},
               {"gallery_size", searcher.GallerySize().ok() ? *searcher.GallerySize() : -1},
               {"p50_ms", pct(0.5)},
               {"p99_ms", pct(0.99)},
               {"max_ms", ms.back()},
               {"failovers", searcher.retried()}});
  });
}

}  // namespace

void RegisterCluster(CLI::App& app, GlobalFlags& flags, int* exit_code) {
  auto* cluster = app.add_subcommand("cluster", "run and administer a sharded cluster over NATS");
  cluster->require_subcommand(1);
  RegisterClusterInit(cluster, exit_code);
  RegisterShard(cluster, flags, exit_code);
  RegisterWorker(cluster, flags, exit_code);
  RegisterClusterIngest(cluster, flags, exit_code);
  RegisterClusterErase(cluster, flags, exit_code);
  RegisterClusterOptOut(cluster, flags, exit_code);
  RegisterReceipt(cluster, exit_code);
  RegisterStatus(cluster, exit_code);
  RegisterClusterBench(cluster, exit_code);
}

}  // namespace likeness::cli
