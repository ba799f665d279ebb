// How a cluster process proves who it is to NATS, and over what transport.
//
// Each role holds a credential file: a NATS user nkey seed (an Ed25519 private key, "SU...") with
// two comment lines naming the role and its public key. The file is created mode 0600 by
// `cluster init --auth-out DIR` and refused when group or others may read it. At connect the
// client signs the server's nonce with the seed; the server (its authorization config lists only
// the public keys, see auth_config.h) then applies that role's publish/subscribe permissions. A
// role's replies arrive on its own inbox prefix ("_LK.<role>"), which only that role may
// subscribe to, so no other role can read a search's answer.
//
//   # likeness cluster credential
//   # role: worker
//   # nkey: UAB...            (the public key, for the operator's eyes; recomputed from the seed)
//   SUA...                    (the seed)
//
// TLS: with a tls:// URL or any of the TLS files the connection is encrypted; `tls_ca` verifies the
// server, `tls_cert`/`tls_key` present a client certificate when the server asks for one.
#pragma once

#include <filesystem>
#include <string>

#include "likeness/status.h"
#include "privacy/secret.h"

namespace likeness::cluster {

// The roles of a cluster ("shard-<n>" for shard n).
inline constexpr const char* kRoleAdmin = "admin";
inline constexpr const char* kRoleRouter = "router";
inline constexpr const char* kRoleWorker = "worker";
std::string ShardRole(int shard);  // "shard-<n>"

// The inbox prefix of a role's connections: "_LK.<role>".
std::string RoleInboxPrefix(const std::string& role);

struct NatsAuth {
  std::string creds_file;  // empty: connect without a credential (a server without auth only)
  std::string tls_ca, tls_cert, tls_key;
  bool has_tls() const { return !tls_ca.empty() || !tls_cert.empty() || !tls_key.empty(); }
};

// $LIKENESS_NATS_CREDS, $LIKENESS_NATS_TLS_CA, $LIKENESS_NATS_TLS_CERT, $LIKENESS_NATS_TLS_KEY.
NatsAuth NatsAuthFromEnv();

// A loaded user nkey.
struct NKeyCredential {
  std::string role;            // from the "# role:" line
  std::string public_key;      // "U..." (56 characters)
  privacy::SecretBuffer seed;  // the 32-byte Ed25519 seed
};

// A new random user nkey for `role`.
Result<NKeyCredential> GenerateCredential(const std::string& role);

// The file's text (the format above).
std::string CredentialFileText(const NKeyCredential& credential);

// Reads and checks a credential file. Errors: NotFound; PermissionDenied (readable by group or
// others: "chmod 600"); InvalidArgument (no seed line, not a user seed, bad checksum, no role).
Result<NKeyCredential> LoadCredential(const std::filesystem::path& path);

// Signs `message` with the credential's seed (Ed25519): the 64-byte signature.
Result<std::string> SignWithCredential(const NKeyCredential& credential, std::string_view message);

}  // namespace likeness::cluster
