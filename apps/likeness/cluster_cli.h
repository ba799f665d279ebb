// CLI plumbing shared by the `likeness cluster` commands: where NATS is and how this process
// proves its role to it (--nats, --creds, --tls-ca, --tls-cert, --tls-key).
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "cluster/nats_auth.h"
#include "cluster/nats_client.h"

namespace likeness::cli {

struct NatsFlags {
  std::string url;         // --nats, else $LIKENESS_NATS, else nats://127.0.0.1:4222
  cluster::NatsAuth auth;  // --creds etc., else $LIKENESS_NATS_CREDS etc.
  NatsFlags();
};

// Adds --nats, --creds, --tls-ca, --tls-cert and --tls-key to `cmd`.
void AddNatsFlags(CLI::App* cmd, NatsFlags& flags);

// Connects as `client_name` with the flags' credential and TLS settings.
Result<std::unique_ptr<cluster::NatsConnection>> ConnectNats(
    const NatsFlags& flags, const std::string& client_name = "likeness-cli");

}  // namespace likeness::cli
