// A thin RAII layer over the NATS C client (Debian's libnats 3.4, with JetStream and key-value):
// connections, durable streams, pull consumers, queue-group responders and key-value buckets,
// with every natsStatus turned into a likeness Status (IOError for transport failures, NotFound
// for a missing stream, consumer or key).
//
// Thread safety: a NatsConnection may be used from several threads (libnats is thread safe); a
// PullConsumer and a NatsMessage from one thread at a time.
#pragma once

#include <nats/nats.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/nats_auth.h"
#include "likeness/status.h"

namespace likeness::cluster {

// A status for a failed NATS call: "<what>: <nats text> (<jetstream error code>)".
Status NatsError(natsStatus s, std::string_view what,
                 jsErrCode js_error = static_cast<jsErrCode>(0));

// A JetStream message fetched from a pull consumer; acknowledged explicitly.
class NatsMessage {
 public:
  explicit NatsMessage(natsMsg* msg) : msg_(msg) {}
  NatsMessage(NatsMessage&& other) noexcept : msg_(other.msg_) { other.msg_ = nullptr; }
  NatsMessage& operator=(NatsMessage&&) = delete;
  ~NatsMessage();

  std::string_view data() const;
  std::string_view subject() const;
  // The message's sequence number in its stream (0 when the metadata cannot be read).
  uint64_t stream_sequence() const;
  // Acknowledges; with `wait`, until the server confirmed the ack.
  Status Ack(bool wait = false);
  // Asks for redelivery after `delay`.
  Status Nak(std::chrono::milliseconds delay = std::chrono::milliseconds(0));
  // Never redeliver (the message can not be processed).
  Status Terminate();

 private:
  natsMsg* msg_;
};

struct StreamOptions {
  std::string name;
  std::vector<std::string> subjects;
  // kWorkQueue: a message is removed when one consumer acknowledged it (ingest jobs).
  // kInterest: removed once every consumer defined on the stream acknowledged it (a shard's
  // replication log: nothing is kept after every replica applied it).
  enum class Retention { kLimits, kWorkQueue, kInterest } retention = Retention::kLimits;
  std::chrono::seconds duplicate_window{120};  // de-duplication by message id
};

class PullConsumer;

class NatsConnection {
 public:
  // Connects (reconnecting forever on later drops) and opens the JetStream context, presenting
  // `auth`'s credential (its role's inbox prefix is used for every reply) and TLS settings.
  // IOError when no server answers at `url`; PermissionDenied when the server refuses the
  // credential (or its absence); the errors of LoadCredential.
  static Result<std::unique_ptr<NatsConnection>> Connect(const std::string& url,
                                                         const std::string& client_name,
                                                         const NatsAuth& auth = NatsAuthFromEnv());
  ~NatsConnection();
  NatsConnection(const NatsConnection&) = delete;
  NatsConnection& operator=(const NatsConnection&) = delete;

  natsConnection* raw() { return nc_; }
  // The credential's role ("" without a credential).
  const std::string& role() const { return role_; }
  // PermissionDenied when the server reported a permissions violation for `subject` (a refused
  // publish or subscription: the server drops it and says so asynchronously), else `otherwise`.
  Status RefusedOr(const std::string& subject, Status otherwise);
  jsCtx* jetstream() { return js_; }

  // Creates the stream, or leaves an existing one of that name as it is.
  Status EnsureStream(const StreamOptions& options);
  // Creates a durable pull consumer on `stream` (explicit acks), or leaves an existing one.
  Status EnsureConsumer(const std::string& stream, const std::string& durable,
                        std::chrono::seconds ack_wait);
  // Messages the consumer has not yet been delivered plus those delivered but not acknowledged.
  Result<uint64_t> ConsumerBacklog(const std::string& stream, const std::string& durable);
  // Messages held in the stream now.
  Result<uint64_t> StreamMessages(const std::string& stream);

  // Publishes to a stream and waits for the server's acknowledgement, which it sends after the
  // message is stored (durable); returns the stream sequence. `msg_id`, when set, de-duplicates a
  // re-publish within the stream's duplicate window.
  Result<uint64_t> PublishDurable(const std::string& subject, std::string_view data,
                                  const std::string& msg_id = "");

  // One request, one reply. IOError on timeout or when nobody is subscribed.
  Result<std::string> Request(const std::string& subject, std::string_view data,
                              std::chrono::milliseconds timeout);

  // Key-value buckets (JetStream KV).
  Status EnsureBucket(const std::string& bucket, int history = 1);
  Status KvPut(const std::string& bucket, const std::string& key, std::string_view value);
  // nullopt when the key is absent (or deleted).
  Result<std::optional<std::string>> KvGet(const std::string& bucket, const std::string& key);
  // Keys of the bucket that start with `prefix`.
  Result<std::vector<std::string>> KvKeys(const std::string& bucket, const std::string& prefix);

 private:
  NatsConnection() = default;
  Result<kvStore*> Bucket(const std::string& bucket);

  static void OnAsyncError(natsConnection* nc, natsSubscription* sub, natsStatus err,
                           void* closure);
  static natsStatus SignNonce(char** custom_error, unsigned char** signature, int* length,
                              const char* nonce, void* closure);

  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
  std::string role_;
  std::unique_ptr<NKeyCredential> credential_;  // signs the server's nonce at every (re)connect
  std::mutex denied_mu_;
  std::vector<std::string> denied_;  // the server's permission violation messages
  std::mutex kv_mu_;
  std::vector<std::pair<std::string, kvStore*>> buckets_;
};

// A bound pull subscription on an existing durable consumer.
class PullConsumer {
 public:
  // Binds to `durable` on `stream`, creating it when absent (see EnsureConsumer). `subject` may
  // be empty: every subject of the stream.
  static Result<std::unique_ptr<PullConsumer>> Bind(NatsConnection& connection,
                                                    const std::string& stream,
                                                    const std::string& subject,
                                                    const std::string& durable,
                                                    std::chrono::seconds ack_wait);
  ~PullConsumer();
  // Up to `batch` messages; empty when none arrived within `wait`.
  Result<std::vector<NatsMessage>> Fetch(int batch, std::chrono::milliseconds wait);

 private:
  PullConsumer() = default;
  natsSubscription* sub_ = nullptr;
};

// Answers requests on a subject inside a queue group (NATS delivers each request to one member).
// The handler runs on the subscription's own thread, one request at a time; its return value is
// the reply.
class QueueResponder {
 public:
  using Handler = std::function<std::string(std::string_view request)>;
  static Result<std::unique_ptr<QueueResponder>> Start(NatsConnection& connection,
                                                       const std::string& subject,
                                                       const std::string& queue, Handler handler);
  // Unsubscribes; no handler call starts after this returns.
  ~QueueResponder();

 private:
  QueueResponder() = default;
  static void OnMessage(natsConnection* nc, natsSubscription* sub, natsMsg* msg, void* closure);
  natsSubscription* sub_ = nullptr;
  Handler handler_;
};

}  // namespace likeness::cluster
