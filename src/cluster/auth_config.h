// The cluster's NATS authorization: one nkey user per role, each with only the subjects its work
// needs (least privilege), written as a nats-server config by `cluster init --auth-out DIR`.
//
//   admin     everything (creates the streams, consumers and buckets at `cluster init`; keep it
//             offline after that)
//   router    serve --cluster and the admin commands: sends searches and crop requests
//             (lk.search.*, lk.media.*), queues ingest jobs (lk.jobs), writes erasures, opt-outs
//             and ingest declarations into the shards' control subjects (lk.shard.*.ctl), records
//             erasure requests; reads the shard map, receipts, heartbeats and queue depths.
//             It can neither answer searches nor write image entries into a shard log.
//   worker    pulls ingest jobs (consumer "workers" of LK_JOBS) and appends image entries to the
//             shards' store subjects (lk.shard.*.store); its own heartbeat. It can neither search,
//             answer searches, queue jobs, write erasures, read a shard log nor write a receipt.
//   shard-<n> answers lk.search.<n> and lk.media.<n> (replies only to the requests it received),
//             consumes only its own log (LK_SHARD_<n>, its replica consumers), writes its own
//             heartbeats and receipts. It cannot publish into any log or send a search.
//
// Every role subscribes only to its own inbox prefix (RoleInboxPrefix), so replies (search
// results, JetStream answers) reach no one else. Anything not listed is refused by the server.
// The config holds public keys only; it is not secret (the credentials are, see nats_auth.h).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "likeness/status.h"

namespace likeness::cluster {

struct RolePermissions {
  std::vector<std::string> publish;    // subjects the role may publish to
  std::vector<std::string> subscribe;  // subjects the role may subscribe to
  bool allow_responses = false;        // may reply to the requests it received
};

// The permissions of `role` ("admin", "router", "worker", "shard-<n>") in a cluster of `shards`.
// InvalidArgument for another role or a shard outside 0..shards-1.
Result<RolePermissions> PermissionsFor(const std::string& role, int shards);

// The roles of a cluster of `shards`: admin, router, worker, shard-0 .. shard-<shards-1>.
std::vector<std::string> ClusterRoles(int shards);

// Writes (or completes) the authorization bundle in `dir` (created mode 0700):
//   <role>.creds   one credential per role (mode 0600), kept when it exists unless the role is
//                  in `rotate` (then replaced by a new key)
//   nats-auth.conf the nats-server authorization block for every role's public key (0644)
// Returns {"conf": path, "creds": {role: path}, "nkeys": {role: public key}, "rotated": [...]}.
// Errors: InvalidArgument (shards outside 1..64, an unknown role in `rotate`), IOError, those of
// LoadCredential for an existing credential file that cannot be read.
Result<nlohmann::json> WriteAuthBundle(const std::filesystem::path& dir, int shards,
                                       const std::vector<std::string>& rotate = {});

}  // namespace likeness::cluster
