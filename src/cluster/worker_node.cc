#include "cluster/worker_node.h"

#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "cluster/messages.h"
#include "cluster/nats_client.h"
#include "cluster/topology.h"
#include "common/hash.h"
#include "imageio/decode.h"
#include "privacy/utc_time.h"
#include "sources/sources.h"

namespace likeness::cluster {
namespace {

using Clock = std::chrono::steady_clock;

bool IsUnder(const std::filesystem::path& path, const std::filesystem::path& root) {
  auto p = path.begin();
  for (auto r = root.begin(); r != root.end(); ++r, ++p) {
    if (r->empty()) continue;  // a trailing separator
    if (p == path.end() || *p != *r) return false;
  }
  return true;
}

// The shard log entry for one image: decode, detect, embed (as engine::Ingest does), read from
// `location` (the job's, resolved under the worker's roots).
Result<ShardWrite> AnalyseImage(engine::Engine& engine, vision::FaceAnalyzer& analyzer,
                                const IngestJob& job, const std::string& location) {
  const engine::EngineOptions& opt = engine.options();
  ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, engine::ReadStoredBytes(location, opt));
  ASSIGN_OR_RETURN(imageio::DecodedImage image, imageio::DecodeImage(bytes, opt.decode));
  ASSIGN_OR_RETURN(std::vector<vision::AnalyzedFace> faces,
                   analyzer.Analyze(image.bgr, opt.analyze));
  ShardWrite w;
  w.op = ShardWrite::Op::kStore;
  w.source = job.source;
  w.batch_id = job.batch_id;
  w.why.operator_id = job.operator_id;
  w.image.content_hash = Sha256Hex(bytes);
  w.image.path = location;
  w.image.format = std::string(imageio::FormatName(image.format));
  w.image.width = image.original_width;
  w.image.height = image.original_height;
  w.image.bytes = static_cast<int64_t>(bytes.size());
  for (auto& f : faces) {
    w.faces.push_back(engine.FaceRecordFor(std::move(f), image.scale));
  }
  return w;
}

bool Permanent(const Status& st) {
  // Bad or missing input never gets better by retrying; transport and I/O trouble may.
  switch (st.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kResourceExhausted:
    case StatusCode::kUnsupported:
    case StatusCode::kCorruption:
    case StatusCode::kPermissionDenied:
      return true;
    default:
      return false;
  }
}

}  // namespace

Result<std::string> ResolveUnderRoots(const std::string& location,
                                      const std::vector<std::filesystem::path>& roots) {
  std::filesystem::path file = location;
  std::string entry;
  const bool archived = sources::SplitArchiveLocation(location, &file, &entry);
  std::error_code ec;
  const std::filesystem::path real = std::filesystem::canonical(file, ec);
  if (ec) return Status::NotFound(file.string() + ": " + ec.message());
  for (const auto& root : roots) {
    if (IsUnder(real, root)) {
      return archived ? sources::ArchiveEntryLocation(real, entry) : real.string();
    }
  }
  std::string names;
  for (const auto& root : roots) names += (names.empty() ? "" : ", ") + root.string();
  return Status::PermissionDenied(location + " is outside this worker's source roots (" + names +
                                  "); the job is refused");
}

Status RunWorkerNode(const WorkerNodeOptions& o) {
  auto log = [&o](const std::string& line) {
    if (o.log) o.log(o.name + ": " + line);
  };
  if (o.source_roots.empty()) {
    return Status::InvalidArgument(
        "a worker reads images only under its source roots: give --source-root DIR (or "
        "$LIKENESS_SOURCE_ROOTS, separated by ':')");
  }
  std::vector<std::filesystem::path> roots;
  for (const auto& root : o.source_roots) {
    std::error_code ec;
    auto real = std::filesystem::canonical(root, ec);
    if (ec || !std::filesystem::is_directory(real)) {
      return Status::NotFound("source root " + root.string() + " is not a folder");
    }
    roots.push_back(real);
  }
  ASSIGN_OR_RETURN(auto nats, NatsConnection::Connect(o.nats_url, "likeness-" + o.name, o.auth));
  ASSIGN_OR_RETURN(ShardMap map, LoadShardMap(*nats));
  ASSIGN_OR_RETURN(auto engine, engine::Engine::Open(o.engine));
  ASSIGN_OR_RETURN(auto analyzer, engine->NewAnalyzer());
  ASSIGN_OR_RETURN(auto jobs, PullConsumer::Bind(*nats, kJobsStream, kJobsSubject, kWorkersDurable,
                                                 std::chrono::seconds(30)));
  int64_t done = 0, failed = 0, faces = 0;
  auto last_beat = Clock::now() - std::chrono::seconds(10);
  log("pulling ingest jobs");
  while (!(o.stop && o.stop->load())) {
    // One job at a time: a fetched job is this worker's until acknowledged, so a small batch keeps
    // the others busy.
    auto batch = jobs->Fetch(1, std::chrono::milliseconds(500));
    if (!batch.ok()) {
      log(batch.status().ToString());
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      continue;
    }
    for (NatsMessage& m : *batch) {
      auto job = DecodeJob(m.data());
      if (!job.ok()) {
        log("dropping a malformed job: " + job.status().ToString());
        (void)m.Terminate();
        ++failed;
        continue;
      }
      auto location = ResolveUnderRoots(job->location, roots);
      auto write = location.ok() ? AnalyseImage(*engine, *analyzer, *job, *location)
                                 : Result<ShardWrite>(location.status());
      if (!write.ok()) {
        log(job->location + ": " + write.status().ToString());
        if (Permanent(write.status())) {
          (void)m.Terminate();
          ++failed;
        } else {
          (void)m.Nak(std::chrono::milliseconds(2000));
        }
        continue;
      }
      const int shard = ShardOf(write->image.content_hash, map.shards);
      write->worker = o.name;
      auto seq = nats->PublishDurable(ShardStoreSubject(shard), EncodeWrite(*write),
                                      "img-" + write->image.content_hash);
      if (!seq.ok()) {
        log(job->location + ": " + seq.status().ToString());
        (void)m.Nak(std::chrono::milliseconds(1000));
        continue;
      }
      // Stored in the shard's log (JetStream acknowledged it): only now is the job done.
      if (Status ack = m.Ack(/*wait=*/true); !ack.ok()) log(ack.ToString());
      ++done;
      faces += static_cast<int64_t>(write->faces.size());
    }
    if (Clock::now() - last_beat >= std::chrono::seconds(1)) {
      nlohmann::json j = {
          {"name", o.name}, {"pid", ::getpid()},
          {"done", done},   {"failed", failed},
          {"faces", faces}, {"updated_at", privacy::FormatUtc(std::chrono::system_clock::now())}};
      (void)nats->KvPut(kClusterBucket, "worker." + o.name, j.dump());
      last_beat = Clock::now();
    }
  }
  log("stopped after " + std::to_string(done) + " images");
  return Status::Ok();
}

}  // namespace likeness::cluster
