// libFuzzer target for the HTTP request path: raw bytes are served as one request by the real
// server (httplib's request parsing, route match, admission, the handler - multipart and JSON
// parsing, image decode, ingest of uploads, search - and the reply), over a real engine with the
// real models in a temporary data folder. No socket: Server::ServeOneRequest reads the bytes from
// memory.
//
// The literal @KEY@ in an input is replaced by an admin API key made at start-up, so inputs reach
// the handlers and not only the 401 path. Rate limits are lifted for the same reason.
//
// Invariants checked for every input (a violation aborts, which libFuzzer reports):
//  - the server never answers 500 (a server fault on client input is a bug);
//  - every error reply is a JSON object with {"error":{"code","message"}} and never names a source
//  file or a
//    C++ symbol (nothing internal leaks).
//
// Environment: LIKENESS_MODELS (as for the CLI). LIKENESS_FUZZ_SEEDS=DIR writes a seed corpus of
// well-formed requests into DIR and exits (tests/fuzz/run.sh uses it).
#include <httplib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>

#include "engine/engine.h"
#include "server/api_keys.h"
#include "server/http_server.h"

namespace {

namespace fs = std::filesystem;
using likeness::server::Server;

// A Stream over the fuzz input; the reply is collected in `out`.
class MemoryStream : public httplib::Stream {
 public:
  explicit MemoryStream(std::string in) : in_(std::move(in)) {}
  bool is_readable() const override { return pos_ < in_.size(); }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override {
    const size_t n = std::min(size, in_.size() - pos_);
    std::copy_n(in_.data() + pos_, n, ptr);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    out.append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 40000;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 8080;
  }
  socket_t socket() const override { return 0; }
  std::string out;

 private:
  std::string in_;
  size_t pos_ = 0;
};

struct World {
  std::unique_ptr<likeness::engine::Engine> engine;
  std::unique_ptr<Server> server;
  std::string key;
  std::string data_dir;
};

World* g_world = nullptr;

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "request_fuzz: %s\n", why.c_str());
  std::abort();
}

std::string ServeRaw(const std::string& request) {
  MemoryStream stream(request);
  g_world->server->ServeOneRequest(stream);
  return stream.out;
}

// A small JPEG with one face: a crop around a face of the first demo photo, or a grey square.
std::string SmallFaceJpeg() {
  std::vector<uint8_t> bytes;
  const char* demo = std::getenv("LIKENESS_DEMO");
  std::string dir =
      demo && *demo ? demo : std::string(std::getenv("HOME")) + "/.cache/likeness/demo";
  cv::Mat img = cv::imread(dir + "/sample2.jpg");
  if (img.empty()) img = cv::Mat(160, 160, CV_8UC3, cv::Scalar(128, 128, 128));
  // sample2's first face is at (366,124) 163x290; take a square around it with margin.
  else
    img = img(cv::Rect(300, 120, 300, 300) & cv::Rect(0, 0, img.cols, img.rows)).clone();
  cv::resize(img, img, cv::Size(160, 160));
  cv::imencode(".jpg", img, bytes, {cv::IMWRITE_JPEG_QUALITY, 85});
  return {bytes.begin(), bytes.end()};
}

std::string Multipart(const std::string& boundary,
                      const std::vector<std::pair<std::string, std::string>>& text,
                      const std::string& file_field, const std::string& jpeg) {
  std::string b;
  for (const auto& [k, v] : text) {
    b += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + k + "\"\r\n\r\n" + v +
         "\r\n";
  }
  b += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + file_field +
       "\"; filename=\"p.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n" + jpeg + "\r\n--" + boundary +
       "--\r\n";
  return b;
}

std::string Request(const std::string& method, const std::string& target, const std::string& ctype,
                    const std::string& body) {
  std::string r =
      method + " " + target + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer @KEY@\r\n";
  if (!ctype.empty()) r += "Content-Type: " + ctype + "\r\n";
  if (!body.empty() || method == "POST")
    r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  return r + "\r\n" + body;
}

void WriteSeeds(const fs::path& dir) {
  fs::create_directories(dir);
  const std::string jpeg = SmallFaceJpeg();
  const std::string why_b = "fuzzb";
  const std::vector<std::pair<std::string, std::string>> why = {
      {"purpose", "fuzzing"}, {"legal_basis", "art6-1-f"}, {"case_ref", "FUZZ-1"}, {"top_k", "5"}};
  const std::string mp = "multipart/form-data; boundary=" + why_b;
  const std::vector<std::pair<std::string, std::string>> seeds = {
      {"healthz", "GET /api/v1/healthz HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"stats", Request("GET", "/api/v1/stats", "", "")},
      {"sources_list", Request("GET", "/api/v1/sources", "", "")},
      {"source_get", Request("GET", "/api/v1/sources/1", "", "")},
      {"source_create",
       Request(
           "POST", "/api/v1/sources", "application/json",
           R"({"name":"fz","legal_basis":"art6-1-f","art9_condition":"art9-2-e","jurisdiction":"DE","retain_until":"2030-01-01","collector":"fuzz"})")},
      {"search", Request("POST", "/api/v1/search", mp, Multipart(why_b, why, "image", jpeg))},
      {"faces", Request("POST", "/api/v1/faces", mp, Multipart(why_b, {}, "image", jpeg))},
      {"upload",
       Request("POST", "/api/v1/sources/1/images", mp, Multipart(why_b, {}, "images", jpeg))},
      {"erase_preview",
       Request("POST", "/api/v1/erasures/preview", "application/json", R"({"face_id":1})")},
      {"access", Request("POST", "/api/v1/access", mp,
                         Multipart(why_b, {{"request_ref", "R-1"}}, "image", jpeg))},
      {"audit", Request("GET", "/api/v1/audit?operator=fuzz&limit=5", "", "")},
      {"crop", Request("GET", "/api/v1/faces/1/crop", "", "")},
      {"chunked",
       "POST /api/v1/sources HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer @KEY@\r\n"
       "Content-Type: application/json\r\nTransfer-Encoding: "
       "chunked\r\n\r\n4\r\n{\"na\r\n0\r\n\r\n"},
  };
  for (const auto& [name, bytes] : seeds) std::ofstream(dir / name, std::ios::binary) << bytes;
}

void CheckReply(const std::string& reply) {
  if (reply.empty()) return;  // httplib closed the connection without an answer (malformed start)
  if (reply.rfind("HTTP/1.1 ", 0) != 0) Die("reply without a status line");
  const int status = std::atoi(reply.c_str() + 9);
  if (status == 500) Die("500 on client input:\n" + reply.substr(0, 2000));
  const size_t body_at = reply.find("\r\n\r\n");
  const std::string body = body_at == std::string::npos ? "" : reply.substr(body_at + 4);
  if (status >= 400 && !body.empty()) {
    const auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!json.is_object() || !json.contains("error") || !json["error"].is_object() ||
        !json["error"].value("code", nlohmann::json()).is_string() ||
        !json["error"].value("message", nlohmann::json()).is_string()) {
      Die("error reply without a JSON {\"error\":{\"code\",\"message\"}}: " + body.substr(0, 500));
    }
    for (const char* leak : {".cc:", ".h:", "std::", "likeness::", "sqlite3_"}) {
      if (body.find(leak) != std::string::npos)
        Die("error reply leaks internals: " + body.substr(0, 500));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* seeds = std::getenv("LIKENESS_FUZZ_SEEDS"); seeds && *seeds) {
    WriteSeeds(seeds);
    std::exit(0);
  }
  g_world = new World;
  char tmpl[] = "/tmp/likeness-request-fuzz-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) Die("mkdtemp failed");
  g_world->data_dir = tmpl;
  likeness::engine::EngineOptions eo;
  eo.data_dir = g_world->data_dir;
  if (const char* m = std::getenv("LIKENESS_MODELS"); m && *m) eo.model_dir = m;
  auto engine = likeness::engine::Engine::Open(eo);
  if (!engine.ok()) Die("engine: " + engine.status().ToString());
  g_world->engine = std::move(*engine);
  likeness::server::ServerOptions so;
  so.threads = 1;
  so.max_body_bytes = 4u << 20;
  so.per_address = {1e9, 1e9};
  so.per_key = {1e9, 1e9};
  so.auth_failures_per_address = {1e9, 1e9};
  so.selfcheck_per_key = {1e9, 1e9};
  so.selfcheck_per_address = {1e9, 1e9};
  so.log = [](std::string_view) {};
  auto server = Server::Create(*g_world->engine, so);
  if (!server.ok()) Die("server: " + server.status().ToString());
  g_world->server = std::move(*server);
  auto key = g_world->server->keys().Create("fuzz-admin", likeness::server::Role::kAdmin, "");
  if (!key.ok()) Die("key: " + key.status().ToString());
  g_world->key = key->key;
  // One source, so routes naming source 1 reach their handlers.
  const std::string source =
      R"({"name":"seed","legal_basis":"art6-1-f","art9_condition":"art9-2-e","jurisdiction":"DE"})";
  CheckReply(ServeRaw("POST /api/v1/sources HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                      g_world->key + "\r\nContent-Type: application/json\r\nContent-Length: " +
                      std::to_string(source.size()) + "\r\n\r\n" + source));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string request(reinterpret_cast<const char*>(data), size);
  for (size_t at = request.find("@KEY@"); at != std::string::npos; at = request.find("@KEY@", at)) {
    request.replace(at, 5, g_world->key);
    at += g_world->key.size();
  }
  CheckReply(ServeRaw(request));
  return 0;
}
