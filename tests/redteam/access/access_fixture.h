// Shared set-up of the access red-team tests: a real engine (real models) in a temporary data
// folder, the in-process server over real HTTP, the operator tenant and two other tenants (acme,
// globex) with a key of any role on demand, demo photos uploaded through the API, and `likeness
// audit show` run as the operator would run it.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "../../integration/server/server_fixture.h"
#include "engine/engine.h"
#include "server/roles.h"
#include "testing/test_env.h"

namespace likeness::server::testing {

inline constexpr const char* kOperator = "default";
inline constexpr const char* kAcme = "acme";
inline constexpr const char* kGlobex = "globex";

// What an upload stored.
struct Held {
  int64_t source_id = 0;
  std::set<int64_t> images, faces;
};

class AccessRedTeam : public ::testing::Test {
 public:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;

  // The key "<tenant>-<role>" (created on first use) and its Authorization header.
  static std::string Key(const std::string& tenant, Role role);
  static httplib::Headers Auth(const std::string& tenant, Role role);
  static std::unique_ptr<httplib::Client> Client() { return server_->Client(); }
  static engine::Engine& Engine() { return *engine_; }
  static TestServer& Srv() { return *server_; }
  static std::filesystem::path DataDir() { return engine_->options().data_dir; }

  // Declares source `name` for `tenant` and uploads demo photos sampleN.jpg into it (ingest key).
  static Held Upload(const std::string& tenant, const std::string& name, std::vector<int> samples);
  // A search of demo photo `sample` by `tenant`'s `role` key under case `case_ref`.
  static httplib::Result Search(const std::string& tenant, Role role, int sample,
                                const std::string& case_ref,
                                httplib::MultipartFormDataItems extra = {});
  // `likeness --data <data> audit show --case <case_ref> --json`: the entries.
  static nlohmann::json AuditShow(const std::string& case_ref);

  static std::unique_ptr<likeness::testing::TempDir> dir_;
  static std::unique_ptr<engine::Engine> engine_;
  static std::unique_ptr<TestServer> server_;
  static std::map<std::string, std::string> keys_;
};

// A purpose, a legal basis and `case_ref` added to multipart fields / a JSON body / a query string.
httplib::MultipartFormDataItems JustifiedCase(httplib::MultipartFormDataItems items,
                                              const std::string& case_ref);
nlohmann::json JustifiedCaseJson(nlohmann::json body, const std::string& case_ref);
std::string JustifiedQuery(const std::string& case_ref);
// True when `body` starts like a JPEG or PNG file: image bytes were served.
bool LooksLikeImage(const std::string& body);
// Every crop_url and image_url in a reply (searched recursively).
std::vector<std::string> MediaUrls(const nlohmann::json& reply);

}  // namespace likeness::server::testing
