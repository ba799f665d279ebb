#include "cluster_cli.h"

#include <cstdlib>

namespace likeness::cli {

NatsFlags::NatsFlags() : auth(cluster::NatsAuthFromEnv()) {
  const char* env = std::getenv("LIKENESS_NATS");
  url = env && *env ? env : "nats://127.0.0.1:4222";
}

void AddNatsFlags(CLI::App* cmd, NatsFlags& f) {
  cmd->add_option("--nats", f.url, "NATS server URL (or $LIKENESS_NATS; tls://... for TLS)")
      ->capture_default_str();
  cmd->add_option("--creds", f.auth.creds_file,
                  "this role's NATS credential file, mode 0600, from `cluster init --auth-out` "
                  "(or $LIKENESS_NATS_CREDS)");
  cmd->add_option("--tls-ca", f.auth.tls_ca,
                  "CA certificate that signed the NATS server's (or $LIKENESS_NATS_TLS_CA)");
  cmd->add_option("--tls-cert", f.auth.tls_cert,
                  "client certificate, when the server asks for one (or $LIKENESS_NATS_TLS_CERT)");
  cmd->add_option("--tls-key", f.auth.tls_key,
                  "the client certificate's key (or $LIKENESS_NATS_TLS_KEY)");
}

Result<std::unique_ptr<cluster::NatsConnection>> ConnectNats(const NatsFlags& f,
                                                             const std::string& client_name) {
  return cluster::NatsConnection::Connect(f.url, client_name, f.auth);
}

}  // namespace likeness::cli
