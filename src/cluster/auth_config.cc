#include "cluster/auth_config.h"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <system_error>

#include "cluster/nats_auth.h"
#include "cluster/topology.h"
#include "privacy/secret_file.h"

namespace likeness::cluster {
namespace {

// Reading a key-value bucket: its stream's info (binding) and its messages (direct or API get).
void AddKvRead(std::vector<std::string>& pub, const std::string& bucket) {
  pub.push_back("$JS.API.STREAM.INFO.KV_" + bucket);
  pub.push_back("$JS.API.DIRECT.GET.KV_" + bucket + ".>");
  pub.push_back("$JS.API.STREAM.MSG.GET.KV_" + bucket);
}

std::string Quote(const std::string& s) { return nlohmann::json(s).dump(); }

std::string List(const std::vector<std::string>& subjects, const std::string& indent) {
  std::string out = "[\n";
  for (size_t i = 0; i < subjects.size(); ++i) {
    out += indent + "  " + Quote(subjects[i]) + (i + 1 < subjects.size() ? ",\n" : "\n");
  }
  return out + indent + "]";
}

Status WriteTextFile(const std::filesystem::path& path, const std::string& text, mode_t mode) {
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    f.flush();
    if (!f) return Status::IOError("writing " + tmp.string());
  }
  if (::chmod(tmp.c_str(), mode) != 0) return Status::IOError("chmod " + tmp.string());
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::IOError("renaming " + tmp.string() + ": " + ec.message());
  return Status::Ok();
}

}  // namespace

std::vector<std::string> ClusterRoles(int shards) {
  std::vector<std::string> roles = {kRoleAdmin, kRoleRouter, kRoleWorker};
  for (int s = 0; s < shards; ++s) roles.push_back(ShardRole(s));
  return roles;
}

Result<RolePermissions> PermissionsFor(const std::string& role, int shards) {
  RolePermissions p;
  p.subscribe.push_back(RoleInboxPrefix(role) + ".>");
  if (role == kRoleAdmin) {
    p.publish = {">"};
    p.subscribe = {">"};
    return p;
  }
  if (role == kRoleRouter) {
    p.publish = {
        "lk.search.*", "lk.media.*", kJobsSubject, "lk.shard.*.ctl",
        std::string("$KV.") + kReceiptsBucket + ".*.request",
        // Signed audit anchors (docs/PRIVACY.md, "Audit anchors"): audit-anchor.<instance>.
        std::string("$KV.") + kClusterBucket + ".audit-anchor.*",
        std::string("$JS.API.STREAM.INFO.") + kJobsStream};
    for (int s = 0; s < shards; ++s) {
      p.publish.push_back("$JS.API.STREAM.INFO." + ShardStream(s));
      p.publish.push_back("$JS.API.CONSUMER.INFO." + ShardStream(s) + ".*");
    }
    AddKvRead(p.publish, kClusterBucket);
    AddKvRead(p.publish, kReceiptsBucket);
    // Listing the heartbeats (kvStore_Keys): an ordered, ephemeral consumer on the health bucket.
    const std::string kv = std::string("KV_") + kClusterBucket;
    p.publish.push_back("$JS.API.STREAM.NAMES");  // the watcher finds the bucket's stream
    p.publish.push_back("$JS.API.CONSUMER.CREATE." + kv);
    p.publish.push_back("$JS.API.CONSUMER.CREATE." + kv + ".>");
    p.publish.push_back("$JS.API.CONSUMER.DELETE." + kv + ".>");
    p.publish.push_back("$JS.FC." + kv + ".>");
    return p;
  }
  if (role == kRoleWorker) {
    const std::string jobs = std::string(kJobsStream) + "." + kWorkersDurable;
    p.publish = {"lk.shard.*.store", std::string("$KV.") + kClusterBucket + ".worker.>",
                 "$JS.API.CONSUMER.MSG.NEXT." + jobs, "$JS.API.CONSUMER.INFO." + jobs,
                 "$JS.ACK." + jobs + ".>"};
    AddKvRead(p.publish, kClusterBucket);
    return p;
  }
  if (role.rfind("shard-", 0) == 0) {
    int shard = -1;
    try {
      size_t used = 0;
      shard = std::stoi(role.substr(6), &used);
      if (used != role.size() - 6) shard = -1;
    } catch (...) {
      shard = -1;
    }
    if (shard < 0 || shard >= shards) {
      return Status::InvalidArgument("no shard " + role.substr(6) + " in a cluster of " +
                                     std::to_string(shards));
    }
    const std::string stream = ShardStream(shard), n = std::to_string(shard);
    p.publish = {"$JS.API.CONSUMER.MSG.NEXT." + stream + ".*",
                 "$JS.API.CONSUMER.INFO." + stream + ".*",
                 "$JS.ACK." + stream + ".>",
                 std::string("$KV.") + kClusterBucket + ".replica." + n + ".*",
                 std::string("$KV.") + kReceiptsBucket + ".*.s" + n + ".*",
                 std::string("$JS.API.STREAM.INFO.KV_") + kReceiptsBucket};
    AddKvRead(p.publish, kClusterBucket);
    p.subscribe.push_back(ShardSearchSubject(shard));
    p.subscribe.push_back(ShardMediaSubject(shard));
    p.allow_responses = true;
    return p;
  }
  return Status::InvalidArgument("unknown cluster role '" + role +
                                 "' (admin, router, worker, shard-<n>)");
}

Result<nlohmann::json> WriteAuthBundle(const std::filesystem::path& dir, int shards,
                                       const std::vector<std::string>& rotate) {
  if (shards < 1 || shards > 64) return Status::InvalidArgument("shards must be 1..64");
  const std::vector<std::string> roles = ClusterRoles(shards);
  for (const auto& r : rotate) {
    if (std::find(roles.begin(), roles.end(), r) == roles.end()) {
      return Status::InvalidArgument("--rotate: no role '" + r + "' in this cluster");
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("creating " + dir.string() + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  nlohmann::json out = {{"conf", (dir / "nats-auth.conf").string()},
                        {"creds", nlohmann::json::object()},
                        {"nkeys", nlohmann::json::object()},
                        {"rotated", nlohmann::json::array()}};
  std::string conf =
      "# Likeness cluster: NATS authorization, written by `likeness cluster init --auth-out`.\n"
      "# One nkey user per role with only the subjects that role needs (src/cluster/"
      "auth_config.h).\n"
      "# Public keys only: this file is not secret. Start the server with it, e.g.\n"
      "#   nats-server -c nats-auth.conf -js -sd /var/lib/likeness/nats\n"
      "# or `include` it from your own server config. Re-run `cluster init --auth-out` (with\n"
      "# --rotate ROLE to replace a key) and reload the server (nats-server --signal reload).\n"
      "authorization: {\n  users: [\n";
  for (size_t i = 0; i < roles.size(); ++i) {
    const std::string& role = roles[i];
    const std::filesystem::path path = dir / (role + ".creds");
    const bool rotating = std::find(rotate.begin(), rotate.end(), role) != rotate.end();
    NKeyCredential cred;
    if (std::filesystem::exists(path) && !rotating) {
      ASSIGN_OR_RETURN(cred, LoadCredential(path));
      if (cred.role != role) {
        return Status::InvalidArgument(path.string() + " holds the credential of role '" +
                                       cred.role + "', not '" + role + "'");
      }
    } else {
      ASSIGN_OR_RETURN(cred, GenerateCredential(role));
      if (rotating) {
        std::filesystem::remove(path, ec);
        out["rotated"].push_back(role);
      }
      const std::string text = CredentialFileText(cred);
      RETURN_IF_ERROR(privacy::CreateSecretFile(
          path, {reinterpret_cast<const uint8_t*>(text.data()), text.size()}));
    }
    out["creds"][role] = path.string();
    out["nkeys"][role] = cred.public_key;
    ASSIGN_OR_RETURN(RolePermissions p, PermissionsFor(role, shards));
    conf += "    # role: " + role + "\n    {\n      nkey: " + Quote(cred.public_key) +
            "\n      permissions: {\n        publish: { allow: " + List(p.publish, "        ") +
            " }\n        subscribe: { allow: " + List(p.subscribe, "        ") + " }\n";
    if (p.allow_responses) conf += "        allow_responses: true\n";
    conf += "      }\n    }" + std::string(i + 1 < roles.size() ? ",\n" : "\n");
  }
  conf += "  ]\n}\n";
  RETURN_IF_ERROR(WriteTextFile(dir / "nats-auth.conf", conf, 0644));
  return out;
}

}  // namespace likeness::cluster
