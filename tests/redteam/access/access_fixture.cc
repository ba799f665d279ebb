#include "access_fixture.h"

#include <functional>

#include "testing/cli_runner.h"

namespace likeness::server::testing {
namespace fs = std::filesystem;

std::unique_ptr<likeness::testing::TempDir> AccessRedTeam::dir_;
std::unique_ptr<engine::Engine> AccessRedTeam::engine_;
std::unique_ptr<TestServer> AccessRedTeam::server_;
std::map<std::string, std::string> AccessRedTeam::keys_;

void AccessRedTeam::SetUpTestSuite() {
  if (server_ || !likeness::testing::ModelDir() || !likeness::testing::DemoPhotoDir()) return;
  dir_ = std::make_unique<likeness::testing::TempDir>();
  engine::EngineOptions eo;
  eo.data_dir = dir_->path() / "data";
  eo.model_dir = *likeness::testing::ModelDir();
  auto e = engine::Engine::Open(eo);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  engine_ = std::move(*e);
  ASSERT_TRUE(engine_->catalog().CreateTenant(kAcme).ok());
  ASSERT_TRUE(engine_->catalog().CreateTenant(kGlobex).ok());
  ServerOptions so;
  // An attacker's walk sends many requests from one address with one key: the limits under test
  // are the tokens, not the rate limits.
  so.per_key = {1000, 4000};
  so.per_address = {1000, 4000};
  so.auth_failures_per_address = {100, 400};
  server_ = std::make_unique<TestServer>(*engine_, so);
  ASSERT_TRUE(server_->ok());
}

void AccessRedTeam::TearDownTestSuite() {
  server_.reset();
  engine_.reset();
  dir_.reset();
  keys_.clear();
}

void AccessRedTeam::SetUp() {
  ASSERT_TRUE(likeness::testing::ModelDir() && likeness::testing::DemoPhotoDir())
      << "models or demo photos absent (run scripts/setup)";
  ASSERT_TRUE(server_ && server_->ok());
}

std::string AccessRedTeam::Key(const std::string& tenant, Role role) {
  const std::string name = tenant + "-" + std::string(RoleName(role));
  if (auto it = keys_.find(name); it != keys_.end()) return it->second;
  auto made = server_->server().keys().Create(name, role, tenant);
  EXPECT_TRUE(made.ok()) << made.status().ToString();
  if (!made.ok()) return "";
  keys_[name] = made->key;
  return made->key;
}

httplib::Headers AccessRedTeam::Auth(const std::string& tenant, Role role) {
  return {{"Authorization", "Bearer " + Key(tenant, role)}};
}

Held AccessRedTeam::Upload(const std::string& tenant, const std::string& name,
                           std::vector<int> samples) {
  Held h;
  auto c = Client();
  auto created = c->Post(
      "/api/v1/sources", Auth(tenant, Role::kIngest),
      nlohmann::json{{"name", name}, {"legal_basis", "art6-1-e,art9-2-g"}, {"jurisdiction", "DE"}}
          .dump(),
      "application/json");
  EXPECT_TRUE(created && created->status == 201) << (created ? created->body : "no reply");
  if (!created || created->status != 201) return h;
  h.source_id = Json(created)["id"].get<int64_t>();
  httplib::MultipartFormDataItems files;
  for (int i : samples) files.push_back(FilePart("images", ReadFile(DemoPhoto(i))));
  auto up = c->Post("/api/v1/sources/" + std::to_string(h.source_id) + "/images",
                    Auth(tenant, Role::kIngest), files);
  EXPECT_TRUE(up && up->status == 200) << (up ? up->body : "no reply");
  const nlohmann::json j = Json(up);
  if (j.is_discarded()) return h;
  for (const auto& f : j["files"]) {
    if (!f.contains("image_id")) continue;
    const int64_t image = f["image_id"].get<int64_t>();
    h.images.insert(image);
    auto faces = engine_->catalog().GetFacesOfImage(image, false);
    EXPECT_TRUE(faces.ok());
    if (faces.ok())
      for (const auto& face : *faces) h.faces.insert(face.id);
  }
  return h;
}

httplib::Result AccessRedTeam::Search(const std::string& tenant, Role role, int sample,
                                      const std::string& case_ref,
                                      httplib::MultipartFormDataItems extra) {
  extra.push_back(FilePart("image", ReadFile(DemoPhoto(sample))));
  return Client()->Post("/api/v1/search", Auth(tenant, role), JustifiedCase(extra, case_ref));
}

nlohmann::json AccessRedTeam::AuditShow(const std::string& case_ref) {
  const auto r = likeness::testing::RunProgram(
      LIKENESS_CLI, {"--data", DataDir().string(), "audit", "show", "--case", case_ref, "--json"},
      dir_->path());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.out;
  return j.is_discarded() ? nlohmann::json::array() : j["entries"];
}

httplib::MultipartFormDataItems JustifiedCase(httplib::MultipartFormDataItems items,
                                              const std::string& case_ref) {
  items.push_back(TextPart("purpose", "red-team access test"));
  items.push_back(TextPart("legal_basis", "art6-1-e"));
  items.push_back(TextPart("case_ref", case_ref));
  return items;
}

nlohmann::json JustifiedCaseJson(nlohmann::json body, const std::string& case_ref) {
  body["purpose"] = "red-team access test";
  body["legal_basis"] = "art6-1-c";
  body["case_ref"] = case_ref;
  return body;
}

std::string JustifiedQuery(const std::string& case_ref) {
  return "purpose=red-team%20access%20test&legal_basis=art6-1-e&case_ref=" + case_ref;
}

bool LooksLikeImage(const std::string& body) {
  return (body.size() >= 2 && static_cast<unsigned char>(body[0]) == 0xFF &&
          static_cast<unsigned char>(body[1]) == 0xD8) ||
         body.rfind("\x89PNG", 0) == 0;
}

std::vector<std::string> MediaUrls(const nlohmann::json& reply) {
  std::vector<std::string> out;
  std::function<void(const nlohmann::json&)> walk = [&](const nlohmann::json& v) {
    if (v.is_object()) {
      for (auto it = v.begin(); it != v.end(); ++it) {
        if ((it.key() == "crop_url" || it.key() == "image_url" || it.key() == "cover_crop_url") &&
            it->is_string())
          out.push_back(it->get<std::string>());
        walk(*it);
      }
    } else if (v.is_array()) {
      for (const auto& x : v) walk(x);
    }
  };
  walk(reply);
  return out;
}

}  // namespace likeness::server::testing
