#include "cluster/nats_client.h"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

namespace likeness::cluster {
namespace {

// Extra connection attempts when the server refuses a credential (see Connect).
constexpr int kCredentialRetries = 3;

// nats_Open once per process (libnats' library state); never closed: connections may outlive
// static destruction order otherwise.
Status OpenLibrary() {
  static const natsStatus opened = nats_Open(-1);
  if (opened != NATS_OK) return NatsError(opened, "starting the NATS client library");
  return Status::Ok();
}

int64_t Millis(std::chrono::milliseconds d) { return static_cast<int64_t>(d.count()); }

}  // namespace

Status NatsError(natsStatus s, std::string_view what, jsErrCode js_error) {
  std::string message = std::string(what) + ": " + natsStatus_GetText(s);
  if (js_error != 0) message += " (JetStream error " + std::to_string(js_error) + ")";
  if (s == NATS_NOT_FOUND || js_error == JSStreamNotFoundErr || js_error == JSConsumerNotFoundErr) {
    return Status::NotFound(message);
  }
  if (s == NATS_CONNECTION_AUTH_FAILED || s == NATS_NOT_PERMITTED) {
    return Status::PermissionDenied(message);
  }
  return Status::IOError(message);
}

// ---- NatsMessage ----

NatsMessage::~NatsMessage() {
  if (msg_) natsMsg_Destroy(msg_);
}

std::string_view NatsMessage::data() const {
  return {natsMsg_GetData(msg_), static_cast<size_t>(natsMsg_GetDataLength(msg_))};
}

std::string_view NatsMessage::subject() const { return natsMsg_GetSubject(msg_); }

uint64_t NatsMessage::stream_sequence() const {
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, msg_) != NATS_OK) return 0;
  const uint64_t seq = meta->Sequence.Stream;
  jsMsgMetaData_Destroy(meta);
  return seq;
}

Status NatsMessage::Ack(bool wait) {
  if (!wait) {
    natsStatus s = natsMsg_Ack(msg_, nullptr);
    return s == NATS_OK ? Status::Ok() : NatsError(s, "acknowledging a message");
  }
  jsErrCode err = static_cast<jsErrCode>(0);
  natsStatus s = natsMsg_AckSync(msg_, nullptr, &err);
  return s == NATS_OK ? Status::Ok() : NatsError(s, "acknowledging a message", err);
}

Status NatsMessage::Nak(std::chrono::milliseconds delay) {
  natsStatus s = delay.count() > 0 ? natsMsg_NakWithDelay(msg_, Millis(delay), nullptr)
                                   : natsMsg_Nak(msg_, nullptr);
  return s == NATS_OK ? Status::Ok() : NatsError(s, "refusing a message");
}

Status NatsMessage::Terminate() {
  natsStatus s = natsMsg_Term(msg_, nullptr);
  return s == NATS_OK ? Status::Ok() : NatsError(s, "terminating a message");
}

// ---- NatsConnection ----

Result<std::unique_ptr<NatsConnection>> NatsConnection::Connect(const std::string& url,
                                                                const std::string& client_name,
                                                                const NatsAuth& auth) {
  RETURN_IF_ERROR(OpenLibrary());
  std::unique_ptr<NatsConnection> c(new NatsConnection());
  if (!auth.creds_file.empty()) {
    ASSIGN_OR_RETURN(NKeyCredential cred, LoadCredential(auth.creds_file));
    c->credential_ = std::make_unique<NKeyCredential>(std::move(cred));
    c->role_ = c->credential_->role;
  }
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  if (s != NATS_OK) return NatsError(s, "NATS options");
  std::unique_ptr<natsOptions, void (*)(natsOptions*)> owned(opts, natsOptions_Destroy);
  natsOptions_SetURL(opts, url.c_str());
  natsOptions_SetName(opts, client_name.c_str());
  natsOptions_SetTimeout(opts, 2000);
  natsOptions_SetMaxReconnect(opts, -1);
  natsOptions_SetReconnectWait(opts, 250);
  natsOptions_SetErrorHandler(opts, &NatsConnection::OnAsyncError, c.get());
  if (c->credential_) {
    s = natsOptions_SetNKey(opts, c->credential_->public_key.c_str(), &NatsConnection::SignNonce,
                            c->credential_.get());
    if (s == NATS_OK) {
      s = natsOptions_SetCustomInboxPrefix(opts, RoleInboxPrefix(c->role_).c_str());
    }
    if (s != NATS_OK) return NatsError(s, "NATS credential " + auth.creds_file);
  }
  if (auth.has_tls() || url.rfind("tls://", 0) == 0) {
    s = natsOptions_SetSecure(opts, true);
    if (s == NATS_OK && !auth.tls_ca.empty()) {
      s = natsOptions_LoadCATrustedCertificates(opts, auth.tls_ca.c_str());
    }
    if (s == NATS_OK && (!auth.tls_cert.empty() || !auth.tls_key.empty())) {
      if (auth.tls_cert.empty() || auth.tls_key.empty()) {
        return Status::InvalidArgument(
            "a NATS client certificate needs both --tls-cert and "
            "--tls-key");
      }
      s = natsOptions_LoadCertificatesChain(opts, auth.tls_cert.c_str(), auth.tls_key.c_str());
    }
    if (s != NATS_OK) return NatsError(s, "NATS TLS settings");
  }
  s = natsConnection_Connect(&c->nc_, opts);
  // A credential the server lists is, rarely, refused anyway: about 1 connection in 150 under CPU
  // load (nats-server 2.9.10, libnats 3.4.1; logged as "authentication error - Nkey" with the
  // right key; our Ed25519 signature over the nonce is deterministic). A new connection brings a
  // new nonce, so a refused credential is tried again a few times before the refusal is reported.
  // A wrong credential is refused every time; the retries give an attacker nothing.
  for (int retry = 0; retry < kCredentialRetries && c->credential_ &&
                      (s == NATS_CONNECTION_AUTH_FAILED || s == NATS_NOT_PERMITTED);
       ++retry) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50 * (retry + 1)));
    s = natsConnection_Connect(&c->nc_, opts);
  }
  if (s != NATS_OK) {
    // The server's own words ("Authorization Violation") are in the thread's last error.
    const char* said = nats_GetLastError(nullptr);
    Status st = NatsError(
        s, "connecting to NATS at " + url + (said && *said ? std::string(" (") + said + ")" : ""));
    if (st.code() == StatusCode::kPermissionDenied) {
      return Status::PermissionDenied(
          st.message() +
          (auth.creds_file.empty()
               ? " (this server requires a credential: --creds FILE or "
                 "$LIKENESS_NATS_CREDS)"
               : " (the server does not accept the credential " + auth.creds_file + ")"));
    }
    return st;
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = 10000;
  s = natsConnection_JetStream(&c->js_, c->nc_, &jo);
  if (s != NATS_OK) return NatsError(s, "opening JetStream at " + url);
  return c;
}

void NatsConnection::OnAsyncError(natsConnection* nc, natsSubscription* /*sub*/, natsStatus err,
                                  void* closure) {
  if (err != NATS_NOT_PERMITTED) return;
  const char* text = nullptr;
  natsConnection_GetLastError(nc, &text);
  auto* self = static_cast<NatsConnection*>(closure);
  std::lock_guard lock(self->denied_mu_);
  self->denied_.emplace_back(text ? text : "permissions violation");
  if (self->denied_.size() > 64) self->denied_.erase(self->denied_.begin());
}

natsStatus NatsConnection::SignNonce(char** /*custom_error*/, unsigned char** signature,
                                     int* length, const char* nonce, void* closure) {
  const auto* cred = static_cast<const NKeyCredential*>(closure);
  auto sig = SignWithCredential(*cred, nonce);
  if (!sig.ok()) return NATS_ERR;
  *signature = static_cast<unsigned char*>(std::malloc(sig->size()));  // freed by libnats
  if (*signature == nullptr) return NATS_NO_MEMORY;
  std::memcpy(*signature, sig->data(), sig->size());
  *length = static_cast<int>(sig->size());
  return NATS_OK;
}

Status NatsConnection::RefusedOr(const std::string& subject, Status otherwise) {
  std::lock_guard lock(denied_mu_);
  const std::string quoted = "\"" + subject + "\"";
  std::vector<std::string> seen = denied_;
  // The latest violation is recorded before the reply that follows it is processed, while the
  // error callback runs later on another thread: look at both.
  const char* last = nullptr;
  if (natsConnection_GetLastError(nc_, &last) == NATS_NOT_PERMITTED && last) seen.push_back(last);
  for (const auto& text : seen) {
    if (text.find(quoted) != std::string::npos) {
      return Status::PermissionDenied("NATS refused this credential" +
                                      (role_.empty() ? "" : " (role " + role_ + ")") + ": " + text);
    }
  }
  return otherwise;
}

NatsConnection::~NatsConnection() {
  for (auto& [name, kv] : buckets_) kvStore_Destroy(kv);
  if (js_) jsCtx_Destroy(js_);
  if (nc_) {
    natsConnection_FlushTimeout(nc_, 1000);
    natsConnection_Destroy(nc_);
  }
}

Status NatsConnection::EnsureStream(const StreamOptions& options) {
  jsStreamInfo* info = nullptr;
  jsErrCode err = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&info, js_, options.name.c_str(), nullptr, &err);
  if (s == NATS_OK) {
    jsStreamInfo_Destroy(info);
    return Status::Ok();
  }
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = options.name.c_str();
  std::vector<const char*> subjects;
  for (const auto& subject : options.subjects) subjects.push_back(subject.c_str());
  cfg.Subjects = subjects.data();
  cfg.SubjectsLen = static_cast<int>(subjects.size());
  cfg.Storage = js_FileStorage;
  switch (options.retention) {
    case StreamOptions::Retention::kLimits:
      cfg.Retention = js_LimitsPolicy;
      break;
    case StreamOptions::Retention::kWorkQueue:
      cfg.Retention = js_WorkQueuePolicy;
      break;
    case StreamOptions::Retention::kInterest:
      cfg.Retention = js_InterestPolicy;
      break;
  }
  cfg.Duplicates = static_cast<int64_t>(options.duplicate_window.count()) * 1'000'000'000LL;
  err = static_cast<jsErrCode>(0);
  s = js_AddStream(&info, js_, &cfg, nullptr, &err);
  if (s != NATS_OK) return NatsError(s, "creating stream " + options.name, err);
  jsStreamInfo_Destroy(info);
  return Status::Ok();
}

Status NatsConnection::EnsureConsumer(const std::string& stream, const std::string& durable,
                                      std::chrono::seconds ack_wait) {
  jsConsumerInfo* info = nullptr;
  jsErrCode err = static_cast<jsErrCode>(0);
  if (js_GetConsumerInfo(&info, js_, stream.c_str(), durable.c_str(), nullptr, &err) == NATS_OK) {
    jsConsumerInfo_Destroy(info);
    return Status::Ok();
  }
  jsConsumerConfig cfg;
  jsConsumerConfig_Init(&cfg);
  cfg.Durable = durable.c_str();
  cfg.AckPolicy = js_AckExplicit;
  cfg.DeliverPolicy = js_DeliverAll;
  cfg.AckWait = static_cast<int64_t>(ack_wait.count()) * 1'000'000'000LL;
  cfg.MaxAckPending = 1024;
  err = static_cast<jsErrCode>(0);
  natsStatus s = js_AddConsumer(&info, js_, stream.c_str(), &cfg, nullptr, &err);
  if (s != NATS_OK) return NatsError(s, "creating consumer " + durable + " on " + stream, err);
  jsConsumerInfo_Destroy(info);
  return Status::Ok();
}

Result<uint64_t> NatsConnection::ConsumerBacklog(const std::string& stream,
                                                 const std::string& durable) {
  jsConsumerInfo* info = nullptr;
  jsErrCode err = static_cast<jsErrCode>(0);
  natsStatus s = js_GetConsumerInfo(&info, js_, stream.c_str(), durable.c_str(), nullptr, &err);
  if (s != NATS_OK) return NatsError(s, "consumer " + durable + " on " + stream, err);
  const uint64_t n = info->NumPending + static_cast<uint64_t>(info->NumAckPending);
  jsConsumerInfo_Destroy(info);
  return n;
}

Result<uint64_t> NatsConnection::StreamMessages(const std::string& stream) {
  jsStreamInfo* info = nullptr;
  jsErrCode err = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&info, js_, stream.c_str(), nullptr, &err);
  if (s != NATS_OK) return NatsError(s, "stream " + stream, err);
  const uint64_t n = info->State.Msgs;
  jsStreamInfo_Destroy(info);
  return n;
}

Result<uint64_t> NatsConnection::PublishDurable(const std::string& subject, std::string_view data,
                                                const std::string& msg_id) {
  jsPubOptions po;
  jsPubOptions_Init(&po);
  if (!msg_id.empty()) po.MsgId = msg_id.c_str();
  po.MaxWait = 10000;
  jsPubAck* ack = nullptr;
  jsErrCode err = static_cast<jsErrCode>(0);
  natsStatus s =
      js_Publish(&ack, js_, subject.c_str(), data.data(), static_cast<int>(data.size()), &po, &err);
  if (s != NATS_OK) return RefusedOr(subject, NatsError(s, "publishing to " + subject, err));
  const uint64_t seq = ack->Sequence;
  jsPubAck_Destroy(ack);
  return seq;
}

Result<std::string> NatsConnection::Request(const std::string& subject, std::string_view data,
                                            std::chrono::milliseconds timeout) {
  natsMsg* reply = nullptr;
  natsStatus s = natsConnection_Request(&reply, nc_, subject.c_str(), data.data(),
                                        static_cast<int>(data.size()), Millis(timeout));
  if (s != NATS_OK) return RefusedOr(subject, NatsError(s, "request to " + subject));
  std::string out(natsMsg_GetData(reply), static_cast<size_t>(natsMsg_GetDataLength(reply)));
  natsMsg_Destroy(reply);
  return out;
}

Result<kvStore*> NatsConnection::Bucket(const std::string& bucket) {
  std::lock_guard lock(kv_mu_);
  for (auto& [name, kv] : buckets_) {
    if (name == bucket) return kv;
  }
  kvStore* kv = nullptr;
  natsStatus s = js_KeyValue(&kv, js_, bucket.c_str());
  if (s != NATS_OK) {
    return RefusedOr("$JS.API.STREAM.INFO.KV_" + bucket,
                     NatsError(s, "key-value bucket " + bucket));
  }
  buckets_.emplace_back(bucket, kv);
  return kv;
}

Status NatsConnection::EnsureBucket(const std::string& bucket, int history) {
  kvStore* kv = nullptr;
  if (js_KeyValue(&kv, js_, bucket.c_str()) == NATS_OK) {
    kvStore_Destroy(kv);
    return Status::Ok();
  }
  kvConfig cfg;
  kvConfig_Init(&cfg);
  cfg.Bucket = bucket.c_str();
  cfg.History = static_cast<uint8_t>(history);
  cfg.StorageType = js_FileStorage;
  natsStatus s = js_CreateKeyValue(&kv, js_, &cfg);
  if (s != NATS_OK) return NatsError(s, "creating key-value bucket " + bucket);
  kvStore_Destroy(kv);
  return Status::Ok();
}

Status NatsConnection::KvPut(const std::string& bucket, const std::string& key,
                             std::string_view value) {
  ASSIGN_OR_RETURN(kvStore * kv, Bucket(bucket));
  uint64_t revision = 0;
  natsStatus s =
      kvStore_Put(&revision, kv, key.c_str(), value.data(), static_cast<int>(value.size()));
  return s == NATS_OK ? Status::Ok()
                      : RefusedOr("$KV." + bucket + "." + key,
                                  NatsError(s, "writing " + bucket + "/" + key));
}

Result<std::optional<std::string>> NatsConnection::KvGet(const std::string& bucket,
                                                         const std::string& key) {
  ASSIGN_OR_RETURN(kvStore * kv, Bucket(bucket));
  kvEntry* entry = nullptr;
  natsStatus s = kvStore_Get(&entry, kv, key.c_str());
  if (s == NATS_NOT_FOUND) return std::optional<std::string>();
  if (s != NATS_OK) return NatsError(s, "reading " + bucket + "/" + key);
  std::string value(static_cast<const char*>(kvEntry_Value(entry)),
                    static_cast<size_t>(kvEntry_ValueLen(entry)));
  kvEntry_Destroy(entry);
  return std::optional<std::string>(std::move(value));
}

Result<std::vector<std::string>> NatsConnection::KvKeys(const std::string& bucket,
                                                        const std::string& prefix) {
  ASSIGN_OR_RETURN(kvStore * kv, Bucket(bucket));
  kvKeysList list{};
  natsStatus s = kvStore_Keys(&list, kv, nullptr);
  std::vector<std::string> out;
  if (s == NATS_NOT_FOUND) return out;  // empty bucket
  if (s != NATS_OK) return NatsError(s, "listing " + bucket);
  for (int i = 0; i < list.Count; ++i) {
    std::string key = list.Keys[i];
    if (key.compare(0, prefix.size(), prefix) == 0) out.push_back(std::move(key));
  }
  kvKeysList_Destroy(&list);
  return out;
}

// ---- PullConsumer ----

Result<std::unique_ptr<PullConsumer>> PullConsumer::Bind(NatsConnection& connection,
                                                         const std::string& stream,
                                                         const std::string& subject,
                                                         const std::string& durable,
                                                         std::chrono::seconds ack_wait) {
  RETURN_IF_ERROR(connection.EnsureConsumer(stream, durable, ack_wait));
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = stream.c_str();
  so.Consumer = durable.c_str();
  std::unique_ptr<PullConsumer> c(new PullConsumer());
  jsErrCode err = static_cast<jsErrCode>(0);
  natsStatus s = js_PullSubscribe(&c->sub_, connection.jetstream(),
                                  subject.empty() ? nullptr : subject.c_str(), durable.c_str(),
                                  nullptr, &so, &err);
  if (s != NATS_OK) return NatsError(s, "binding consumer " + durable + " on " + stream, err);
  return c;
}

PullConsumer::~PullConsumer() {
  if (sub_) natsSubscription_Destroy(sub_);
}

Result<std::vector<NatsMessage>> PullConsumer::Fetch(int batch, std::chrono::milliseconds wait) {
  natsMsgList list{};
  jsErrCode err = static_cast<jsErrCode>(0);
  natsStatus s = natsSubscription_Fetch(&list, sub_, batch, Millis(wait), &err);
  std::vector<NatsMessage> out;
  if (s == NATS_TIMEOUT) return out;
  if (s != NATS_OK) return NatsError(s, "fetching messages", err);
  for (int i = 0; i < list.Count; ++i) {
    out.emplace_back(list.Msgs[i]);
    list.Msgs[i] = nullptr;  // owned by `out` now
  }
  natsMsgList_Destroy(&list);
  return out;
}

// ---- QueueResponder ----

Result<std::unique_ptr<QueueResponder>> QueueResponder::Start(NatsConnection& connection,
                                                              const std::string& subject,
                                                              const std::string& queue,
                                                              Handler handler) {
  std::unique_ptr<QueueResponder> r(new QueueResponder());
  r->handler_ = std::move(handler);
  natsStatus s = natsConnection_QueueSubscribe(&r->sub_, connection.raw(), subject.c_str(),
                                               queue.c_str(), &QueueResponder::OnMessage, r.get());
  if (s != NATS_OK) return NatsError(s, "subscribing to " + subject);
  s = natsConnection_FlushTimeout(connection.raw(), 2000);  // the server knows us when we return
  if (s != NATS_OK) return NatsError(s, "subscribing to " + subject);
  // A refused subscription is reported asynchronously, before the flush's answer.
  RETURN_IF_ERROR(connection.RefusedOr(subject, Status::Ok()));
  return r;
}

QueueResponder::~QueueResponder() {
  if (sub_) {
    // Drain: stop receiving, finish the requests already queued, then wait for the handler.
    if (natsSubscription_Drain(sub_) == NATS_OK)
      natsSubscription_WaitForDrainCompletion(sub_, 5000);
    natsSubscription_Destroy(sub_);
  }
}

void QueueResponder::OnMessage(natsConnection* nc, natsSubscription* /*sub*/, natsMsg* msg,
                               void* closure) {
  auto* self = static_cast<QueueResponder*>(closure);
  const std::string reply =
      self->handler_({natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg))});
  if (const char* to = natsMsg_GetReply(msg); to != nullptr) {
    natsConnection_Publish(nc, to, reply.data(), static_cast<int>(reply.size()));
  }
  natsMsg_Destroy(msg);
}

}  // namespace likeness::cluster
