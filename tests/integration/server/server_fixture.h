// An in-process Likeness server for integration tests: a temporary data folder, a real engine with
// the real models, a server on a free loopback port, a key per role, and real HTTP through
// httplib::Client.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "engine/engine.h"
#include "server/http_server.h"
#include "server/roles.h"
#include "testing/test_env.h"

namespace likeness::server::testing {

// One running server over an engine. Stops (finishing in-flight requests) when destroyed.
class TestServer {
 public:
  // Starts on 127.0.0.1, port 0; the server's log goes nowhere unless `verbose`.
  explicit TestServer(engine::Engine& engine, ServerOptions options = {});
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  bool ok() const { return server_ != nullptr; }
  int port() const { return server_->port(); }
  Server& server() { return *server_; }
  // A client with short timeouts, for this server.
  std::unique_ptr<httplib::Client> Client() const;
  // A key for `role` (created on first use, named "<role>-key" on the process's first server).
  std::string Key(Role role);
  httplib::Headers Auth(Role role) { return {{"Authorization", "Bearer " + Key(role)}}; }

 private:
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::map<Role, std::string> keys_;
};

// The suite's shared data folder, engine and server (one per test process: ctest runs each test in
// its own process, so "shared" means shared by the tests of one gtest invocation).
class ServerTest : public ::testing::Test {
 public:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;

  // Ingests sample2..sample4 into source "demo" (once per process). sample1's largest face is the
  // same person as one in sample3 (see bench/README.md and the pipeline test).
  static void EnsureCatalog();
  static engine::Engine& Engine() { return *engine_; }
  static TestServer& Srv() { return *server_; }
  static std::unique_ptr<httplib::Client> Client() { return server_->Client(); }
  static httplib::Headers Auth(Role role) { return server_->Auth(role); }
  static std::filesystem::path DataDir();

  static std::unique_ptr<likeness::testing::TempDir> dir_;
  static std::unique_ptr<engine::Engine> engine_;
  static std::unique_ptr<TestServer> server_;
  static int64_t demo_source_id_;
};

// Helpers.
std::filesystem::path DemoPhoto(int i);  // sampleN.jpg
std::string ReadFile(const std::filesystem::path& path);
// Parses a response body as JSON (discarded value when it is not JSON).
nlohmann::json Json(const httplib::Result& r);
// The "error.code" of a JSON error body ("" when absent).
std::string ErrorCode(const httplib::Result& r);
// Multipart fields for a search or verify with a valid justification.
httplib::MultipartFormDataItems Justified(httplib::MultipartFormDataItems items);
// A JSON body with a valid justification added.
nlohmann::json JustifiedJson(nlohmann::json body);
// A photo scaled down to at most 1 MP, the largest frame the self-check decodes (a camera preview's
// size); smaller photos are returned as they are.
std::string AsPreviewFrame(const std::string& jpeg);

httplib::MultipartFormData FilePart(const std::string& name, const std::string& bytes,
                                    const std::string& filename = "photo.jpg");
httplib::MultipartFormData TextPart(const std::string& name, const std::string& value);

}  // namespace likeness::server::testing
