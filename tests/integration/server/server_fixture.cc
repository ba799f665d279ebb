#include "server_fixture.h"

#include <cmath>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "engine/ingest.h"
#include "server/api_keys.h"

namespace likeness::server::testing {
namespace fs = std::filesystem;

std::unique_ptr<likeness::testing::TempDir> ServerTest::dir_;
std::unique_ptr<engine::Engine> ServerTest::engine_;
std::unique_ptr<TestServer> ServerTest::server_;
int64_t ServerTest::demo_source_id_ = 0;

TestServer::TestServer(engine::Engine& engine, ServerOptions options) {
  options.listen = "127.0.0.1";
  options.port = 0;
  if (!options.log) options.log = [](std::string_view) {};
  auto s = Server::Create(engine, std::move(options));
  if (!s.ok()) {
    ADD_FAILURE() << "Server::Create: " << s.status().ToString();
    return;
  }
  if (Status st = (*s)->Bind(); !st.ok()) {
    ADD_FAILURE() << "Bind: " << st.ToString();
    return;
  }
  server_ = std::move(*s);
  thread_ = std::thread([this] { (void)server_->Run(); });
  if (!server_->WaitUntilRunning(std::chrono::seconds(10))) ADD_FAILURE() << "server not running";
}

TestServer::~TestServer() {
  if (server_) server_->Stop();
  if (thread_.joinable()) thread_.join();
}

std::unique_ptr<httplib::Client> TestServer::Client() const {
  auto c = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  c->set_connection_timeout(5);
  c->set_read_timeout(60);
  c->set_write_timeout(60);
  return c;
}

std::string TestServer::Key(Role role) {
  if (auto it = keys_.find(role); it != keys_.end()) return it->second;
  // Servers over one data folder share its key store (and names are never reused): the first
  // server's keys are "<role>-key", a later one's add its port.
  std::string name = std::string(RoleName(role)) + "-key";
  if (auto all = server_->keys().List(); all.ok()) {
    for (const auto& k : *all) {
      if (k.name == name) name += "-" + std::to_string(port());
    }
  }
  auto made = server_->keys().Create(name, role, "");
  EXPECT_TRUE(made.ok()) << made.status().ToString();
  if (!made.ok()) return "";
  keys_[role] = made->key;
  return made->key;
}

void ServerTest::SetUpTestSuite() {
  if (server_) return;
  dir_ = std::make_unique<likeness::testing::TempDir>();
  engine::EngineOptions options;
  options.data_dir = dir_->path() / "data";
  if (auto models = likeness::testing::ModelDir()) options.model_dir = *models;
  auto e = engine::Engine::Open(options);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  engine_ = std::move(*e);
  ServerOptions server_options;
  // The role matrix presents a forged key to every route; the default (1/s, burst 10) would
  // rightly refuse that many guesses from one address.
  server_options.auth_failures_per_address = {50, 200};
  // Likewise the selfcheck role's strict per-address limit (burst 3) for the matrix's self-check
  // routes; SelfCheckKeysHaveStrictLimits tests the default on a server of its own.
  server_options.selfcheck_per_address = {50, 200};
  // And each role's key visits every route of the matrix (over 40): more than the per-key burst.
  server_options.per_key = {100, 400};
  server_options.per_address = {1000, 4000};  // every role's requests come from 127.0.0.1
  server_ = std::make_unique<TestServer>(*engine_, server_options);
  ASSERT_TRUE(server_->ok());
}

void ServerTest::TearDownTestSuite() {
  server_.reset();
  engine_.reset();
  dir_.reset();
  demo_source_id_ = 0;
}

void ServerTest::SetUp() {
  ASSERT_TRUE(likeness::testing::ModelDir()) << "models missing: run scripts/setup";
  ASSERT_TRUE(likeness::testing::DemoPhotoDir()) << "demo photos missing: run scripts/setup";
  ASSERT_TRUE(server_ && server_->ok());
}

fs::path ServerTest::DataDir() { return engine_->options().data_dir; }

void ServerTest::EnsureCatalog() {
  if (demo_source_id_ != 0) return;
  engine::SourceDeclaration d{.name = "demo",
                              .legal_basis = "art6-1-e",
                              .art9_condition = "art9-2-g",
                              .jurisdiction = "DE",
                              .retain_until = "2030-12-31",
                              .collector = "fixture"};
  auto source = engine::DeclareSource(engine_->catalog(), d);
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  auto summary =
      engine::Ingest(*engine_, *source, {DemoPhoto(2), DemoPhoto(3), DemoPhoto(4)}, {.jobs = 2});
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  ASSERT_EQ(summary->totals.images, 3);
  demo_source_id_ = source->id;
}

fs::path DemoPhoto(int i) {
  return *likeness::testing::DemoPhotoDir() / ("sample" + std::to_string(i) + ".jpg");
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

nlohmann::json Json(const httplib::Result& r) {
  if (!r) return nlohmann::json::value_t::discarded;
  return nlohmann::json::parse(r->body, nullptr, false);
}

std::string ErrorCode(const httplib::Result& r) {
  const auto j = Json(r);
  if (j.is_discarded() || !j.contains("error") || !j["error"].is_object()) return "";
  return j["error"].value("code", "");
}

httplib::MultipartFormDataItems Justified(httplib::MultipartFormDataItems items) {
  items.push_back(TextPart("purpose", "integration test"));
  items.push_back(TextPart("legal_basis", "art6-1-e"));
  items.push_back(TextPart("case_ref", "TEST-1"));
  return items;
}

nlohmann::json JustifiedJson(nlohmann::json body) {
  body["purpose"] = "integration test";
  body["legal_basis"] = "art6-1-c";
  body["case_ref"] = "TEST-1";
  return body;
}

std::string AsPreviewFrame(const std::string& jpeg) {
  constexpr double kMaxPixels = 1'000'000;
  const cv::Mat img =
      cv::imdecode(std::vector<uint8_t>(jpeg.begin(), jpeg.end()), cv::IMREAD_COLOR);
  if (img.empty() || static_cast<double>(img.total()) <= kMaxPixels) return jpeg;
  const double scale = std::sqrt(kMaxPixels / static_cast<double>(img.total())) * 0.98;
  cv::Mat small;
  cv::resize(img, small, cv::Size(), scale, scale, cv::INTER_AREA);
  std::vector<uint8_t> out;
  cv::imencode(".jpg", small, out, {cv::IMWRITE_JPEG_QUALITY, 92});
  return std::string(out.begin(), out.end());
}

httplib::MultipartFormData FilePart(const std::string& name, const std::string& bytes,
                                    const std::string& filename) {
  return {name, bytes, filename, "image/jpeg"};
}

httplib::MultipartFormData TextPart(const std::string& name, const std::string& value) {
  return {name, value, "", ""};
}

}  // namespace likeness::server::testing
