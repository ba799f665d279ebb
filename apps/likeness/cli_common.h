// Shared pieces of the `likeness` CLI: exit codes, error printing, engine opening, JSON helpers.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "engine/engine.h"
#include "engine/person_groups.h"
#include "engine/search.h"
#include "likeness/status.h"
#include "privacy/key_folder.h"

namespace likeness::cli {

// Exit codes (documented in docs/CLI.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 2;
int ExitCodeFor(const Status& status);

// Prints "likeness: <message>" to stderr and returns the exit code for the status.
int Fail(const Status& status);

struct GlobalFlags {
  std::string data_dir;       // --data
  std::string keys_root;      // --keys (also installed with privacy::SetKeysRoot)
  std::string index_factory;  // --index; empty: the catalog's configured kind, else Flat
  int min_face_px = 24;
  bool no_tiling = false;
  std::string small_faces = "on";  // --small-faces on|off (vision::AnalyzeOptions::small_faces)
  bool quiet = false;
  // --cluster (or $LIKENESS_CLUSTER): a NATS URL; the engine then searches the cluster's shards
  // (this process acts as a router; see src/cluster/router.h).
  std::string cluster_url;
  // Set by the commands that write the data folder (ingest, erase, optout, retention, index set,
  // reembed, serve) before they open the engine: they hold its writer lock while they run
  // (engine/folder_lock.h). Not a command-line flag.
  std::string writer_role;
  // --nats-creds (or $LIKENESS_NATS_CREDS): the router's NATS credential (cluster/nats_auth.h).
  std::string nats_creds;
};

Result<std::unique_ptr<engine::Engine>> OpenEngine(const GlobalFlags& flags);
// The data folder's key folder (privacy::OpenKeyFolder: created for a new data folder). Commands
// that open catalog.db or api_keys.db without the engine call it first, so a new folder never
// holds data without keys.
Result<privacy::KeyFolder> KeysOf(const GlobalFlags& flags);
// OpenEngine with the index kind replaced by `index_kind`.
Result<std::unique_ptr<engine::Engine>> OpenEngine(const GlobalFlags& flags,
                                                   const std::string& index_kind);

// OK when `tenant` is empty, the default tenant, or registered (`likeness tenant create`);
// NotFound naming the command that registers it otherwise.
Status RequireTenant(catalog::Catalog& catalog, const std::string& tenant);

nlohmann::json ToJson(const BoxF& box);
nlohmann::json ToJson(const FaceQuality& q);
nlohmann::json ToJson(const catalog::SourceRecord& s);
nlohmann::json ToJson(const engine::Match& m);
nlohmann::json ToJson(const engine::SearchResponse& r);
// One person's matches (engine/person_groups.h); "person" is null for a face no person holds.
nlohmann::json ToJson(const engine::PersonGroup& g);

}  // namespace likeness::cli
