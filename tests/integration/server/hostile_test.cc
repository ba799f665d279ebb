// Hostile input: each gets a clear 4xx JSON error and the server stays up. Runs against its own
// server with a 1 MiB body limit and a 1 s read timeout, so the limits are cheap to reach.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <opencv2/imgcodecs.hpp>

#include "server_fixture.h"

namespace likeness::server::testing {
namespace {

class HostileTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    ServerOptions o;
    o.max_body_bytes = 1u << 20;
    o.read_timeout = std::chrono::seconds(1);
    o.keep_alive_timeout = std::chrono::seconds(1);
    o.max_upload_files = 3;
    hostile_ = std::make_unique<TestServer>(Engine(), o);
    ASSERT_TRUE(hostile_->ok());
  }
  void TearDown() override {
    // Whatever was thrown at it, it still answers.
    auto r = hostile_->Client()->Get("/api/v1/healthz");
    ASSERT_TRUE(r) << "the server stopped answering";
    EXPECT_EQ(r->status, 200);
    hostile_.reset();
  }
  std::unique_ptr<httplib::Client> C() { return hostile_->Client(); }
  httplib::Headers A(Role role) { return hostile_->Auth(role); }

  // Sends raw bytes on a fresh connection and returns what comes back before the server closes it
  // or `wait` passes.
  std::string Raw(const std::string& bytes, std::chrono::milliseconds wait) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(hostile_->port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    if (!bytes.empty()) {
      EXPECT_GT(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), 0);
    }
    timeval tv{static_cast<time_t>(wait.count() / 1000),
               static_cast<suseconds_t>((wait.count() % 1000) * 1000)};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string out;
    char buf[4096];
    while (true) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return out;
  }

  std::unique_ptr<TestServer> hostile_;
};

// A PNG whose header claims width x height (the pixels are not there).
std::string PngClaiming(uint32_t width, uint32_t height) {
  std::string png = "\x89PNG\r\n\x1a\n";
  png += std::string("\x00\x00\x00\x0d", 4) + "IHDR";
  for (uint32_t v : {width, height}) {
    for (int shift = 24; shift >= 0; shift -= 8) png += static_cast<char>((v >> shift) & 0xff);
  }
  png += std::string("\x08\x02\x00\x00\x00", 5);
  png += std::string(4, '\0');  // CRC (not checked by the header reader)
  png += std::string(64, '\0');
  return png;
}

TEST_F(HostileTest, OversizedBodyIs413) {
  const std::string big(2u << 20, 'x');
  auto r = C()->Post("/api/v1/search", A(Role::kSearch), Justified({FilePart("image", big)}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(ErrorCode(r), "payload_too_large");
  // Also without a key: refused, never processed.
  auto anon = C()->Post("/api/v1/search", big, "application/octet-stream");
  ASSERT_TRUE(anon);
  EXPECT_EQ(anon->status, 413);
}

TEST_F(HostileTest, MalformedMultipartIs400) {
  const auto post = [&](const std::string& body, const std::string& type) {
    return C()->Post("/api/v1/search", A(Role::kSearch), body, type);
  };
  for (const auto& [body, type] : std::vector<std::pair<std::string, std::string>>{
           {"--zz\r\nbroken", "multipart/form-data; boundary=zz"},
           {"--zz\r\nContent-Disposition: form-data; name=\"image\"\r\n\r\nabc",
            "multipart/form-data; boundary=zz"},
           {"no boundary at all", "multipart/form-data"},
           {"--zz--\r\n", "multipart/form-data; boundary=zz"},
           {"image=abc", "application/x-www-form-urlencoded"},
           {"{}", "application/json"}}) {
    auto r = post(body, type);
    ASSERT_TRUE(r) << type;
    EXPECT_EQ(r->status, 400) << type << " | " << body << " -> " << r->body;
    EXPECT_FALSE(Json(r).is_discarded()) << r->body;
  }
}

TEST_F(HostileTest, BadJsonIs400AndBigJsonIs413) {
  const auto post = [&](const std::string& body) {
    return C()->Post("/api/v1/sources", A(Role::kIngest), body, "application/json");
  };
  for (const std::string& body :
       std::vector<std::string>{"{", "not json", "[]", "null", "\"string\"", "{\"name\": \"x\",}",
                                std::string(5000, '[')}) {
    auto r = post(body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << body.substr(0, 40) << " -> " << r->body;
    EXPECT_EQ(ErrorCode(r), "invalid_argument");
  }
  auto big = post("{\"name\":\"" + std::string(200000, 'a') + "\"}");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413) << big->body;
}

TEST_F(HostileTest, NonImagesAreRefusedClearly) {
  auto text = C()->Post("/api/v1/search", A(Role::kSearch),
                        Justified({FilePart("image", "GIF89a but not really", "x.gif")}));
  ASSERT_TRUE(text);
  EXPECT_EQ(text->status, 400) << text->body;
  auto empty = C()->Post("/api/v1/faces", A(Role::kSearch), {FilePart("image", "")});
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 400);
  // A truncated real JPEG.
  const std::string jpeg = ReadFile(DemoPhoto(2));
  auto cut = C()->Post("/api/v1/faces", A(Role::kSearch),
                       {FilePart("image", jpeg.substr(0, jpeg.size() / 2))});
  ASSERT_TRUE(cut);
  EXPECT_EQ(cut->status / 100, 4) << cut->body;
}

TEST_F(HostileTest, AHeaderClaimingAHugeImageIsRefusedBeforeDecoding) {
  for (const char* route : {"/api/v1/search", "/api/v1/faces"}) {
    auto r = C()->Post(route, A(Role::kSearch),
                       Justified({FilePart("image", PngClaiming(60000, 60000), "bomb.png")}));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413) << route << " " << r->body;
    EXPECT_EQ(ErrorCode(r), "resource_exhausted");
  }
  auto created =
      C()->Post("/api/v1/sources", A(Role::kIngest),
                nlohmann::json{
                    {"name", "bombs"}, {"legal_basis", "art6-1-e,art9-2-g"}, {"jurisdiction", "DE"}}
                    .dump(),
                "application/json");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201);
  auto up =
      C()->Post("/api/v1/sources/" + std::to_string(Json(created)["id"].get<int64_t>()) + "/images",
                A(Role::kIngest), {FilePart("images", PngClaiming(60000, 60000), "bomb.png")});
  ASSERT_TRUE(up);
  EXPECT_EQ(up->status, 400);
  EXPECT_EQ(Json(up)["files"][0]["error"]["code"], "resource_exhausted");
}

TEST_F(HostileTest, PathTraversalFindsNothing) {
  for (const std::string path :
       {"/app/../../etc/passwd", "/app/..%2f..%2fetc%2fpasswd", "/app/%2e%2e", "/app/.hidden",
        "/api/v1/images/../../etc/passwd", "/api/v1/sources/1/../../../etc", "//etc/passwd",
        "/app/index.html/..", "/api/v1/sources/99999999999999999999"}) {
    auto r = C()->Get(path, A(Role::kAdmin));
    ASSERT_TRUE(r) << path;
    EXPECT_GE(r->status, 400) << path;
    EXPECT_LT(r->status, 500) << path;
    EXPECT_EQ(r->body.find("root:"), std::string::npos) << path;
  }
}

TEST_F(HostileTest, TooManyFilesInOneUploadIs400) {
  std::vector<httplib::MultipartFormData> parts;
  for (int i = 0; i < 4; ++i) parts.push_back(FilePart("images", "x", "f" + std::to_string(i)));
  auto r = C()->Post("/api/v1/sources/1/images", A(Role::kIngest), parts);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status / 100, 4);
}

TEST_F(HostileTest, GarbageAndHugeHeadersAreRefused) {
  // Not HTTP at all: a 400 or a closed connection, never a hang or a crash.
  const std::string garbage =
      Raw("\x16\x03\x01\x02\x00 not http at all\r\n\r\n", std::chrono::milliseconds(3000));
  EXPECT_TRUE(garbage.empty() || garbage.rfind("HTTP/1.1 400", 0) == 0) << garbage;
  const std::string long_uri =
      Raw("GET /" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n",
          std::chrono::milliseconds(2000));
  EXPECT_NE(long_uri.find("HTTP/1.1 4"), std::string::npos) << long_uri.substr(0, 200);
  auto huge_auth =
      C()->Get("/api/v1/whoami", {{"Authorization", "Bearer " + std::string(6000, 'k')}});
  ASSERT_TRUE(huge_auth);
  EXPECT_EQ(huge_auth->status, 401);
}

TEST_F(HostileTest, SlowClientsAreDroppedAndDoNotBlockOthers) {
  // Slowloris: half a request line, then silence. The server drops it after the read timeout.
  std::thread slow([this] {
    const auto start = std::chrono::steady_clock::now();
    const std::string reply = Raw("GET /api/v1/healthz HTTP/1.1\r\nHo", std::chrono::seconds(10));
    const auto held = std::chrono::steady_clock::now() - start;
    EXPECT_LT(held, std::chrono::seconds(5)) << "the server kept a stalled client";
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // Meanwhile others are served.
  auto r = C()->Get("/api/v1/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  slow.join();
}

TEST_F(HostileTest, BytesAfterARefusedBodyAreNotARequest) {
  // A body that itself looks like a request must not be executed as a second request.
  const std::string inner = "GET /api/v1/healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string outer =
      "POST /api/v1/search HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(inner.size()) +
      "\r\n\r\n" + inner;
  const std::string reply = Raw(outer, std::chrono::milliseconds(1500));
  EXPECT_NE(reply.find("401"), std::string::npos) << reply;
  size_t responses = 0;
  for (size_t at = reply.find("HTTP/1.1 "); at != std::string::npos;
       at = reply.find("HTTP/1.1 ", at + 1)) {
    ++responses;
  }
  EXPECT_EQ(responses, 1u) << reply;
}

}  // namespace
}  // namespace likeness::server::testing
