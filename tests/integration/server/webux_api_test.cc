// The API behind the web app's Sources, Ingest and People screens, over real HTTP with the real
// models (a data folder of its own): a retention date in the past is refused with the reason; a
// duplicate upload says where the photo is already held; sources list their counts and their
// batches (errors cut to file names, a link to the batch's audit records); people clustering runs
// in the background with progress and is audited; /favicon.ico is served; and with one analyzer
// (`serve --threads 1`) a browser's six keep-alive connections do not starve a seventh request.
#include <chrono>
#include <set>

#include "governance/retention.h"
#include "server_fixture.h"

namespace likeness::server::testing {
namespace {

class WebuxApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(likeness::testing::ModelDir() && likeness::testing::DemoPhotoDir());
    engine::EngineOptions eo;
    eo.data_dir = dir_.path() / "data";
    eo.model_dir = *likeness::testing::ModelDir();
    auto e = engine::Engine::Open(eo);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(*e);
    ServerOptions so;
    so.threads = 1;  // as `serve --threads 1`
    so.per_key = {100, 400};
    so.per_address = {1000, 1000};
    so.keep_alive_timeout = std::chrono::seconds(10);
    server_ = std::make_unique<TestServer>(*engine_, so);
    ASSERT_TRUE(server_->ok());
    c_ = server_->Client();
  }

  httplib::Result Declare(const std::string& name, const std::string& retain_until = "") {
    nlohmann::json body = {
        {"name", name}, {"legal_basis", "art6-1-e,art9-2-g"}, {"jurisdiction", "DE"}};
    if (!retain_until.empty()) body["retain_until"] = retain_until;
    return c_->Post("/api/v1/sources", server_->Auth(Role::kIngest), body.dump(),
                    "application/json");
  }
  int64_t DeclareOk(const std::string& name) {
    auto r = Declare(name);
    EXPECT_TRUE(r && r->status == 201) << (r ? r->body : "");
    return r && r->status == 201 ? Json(r)["id"].get<int64_t>() : 0;
  }
  httplib::Result Upload(int64_t source, httplib::MultipartFormDataItems files) {
    return c_->Post("/api/v1/sources/" + std::to_string(source) + "/images",
                    server_->Auth(Role::kIngest), files);
  }

  likeness::testing::TempDir dir_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<httplib::Client> c_;
};

TEST_F(WebuxApiTest, RetentionInThePastIsRefusedWithTheReason) {
  auto past = Declare("old-archive", "2020-01-01");
  ASSERT_TRUE(past);
  EXPECT_EQ(past->status, 400);
  EXPECT_EQ(ErrorCode(past), "invalid_argument");
  const std::string message = Json(past)["error"]["message"].get<std::string>();
  EXPECT_NE(message.find("2020-01-01 is in the past"), std::string::npos) << message;
  EXPECT_NE(message.find("retention sweep"), std::string::npos) << message;
  // Nothing was declared: the name is still free, and no source exists.
  auto list = c_->Get("/api/v1/sources", server_->Auth(Role::kIngest));
  ASSERT_TRUE(list);
  EXPECT_TRUE(Json(list)["sources"].empty());
  // Today is allowed (retention is inclusive), and so is a later date.
  auto today = Declare("until-today", governance::TodayUtc());
  ASSERT_TRUE(today);
  EXPECT_EQ(today->status, 201) << today->body;
  auto later = Declare("old-archive", "2999-12-31");
  ASSERT_TRUE(later);
  EXPECT_EQ(later->status, 201) << later->body;
}

TEST_F(WebuxApiTest, DuplicateSaysWhereThePhotoIsHeld) {
  const int64_t first = DeclareOk("press-a");
  const int64_t second = DeclareOk("press-b");
  auto stored = Upload(first, {FilePart("images", ReadFile(DemoPhoto(2)), "sample2.jpg")});
  ASSERT_TRUE(stored && stored->status == 200) << (stored ? stored->body : "");
  const int64_t image = Json(stored)["files"][0]["image_id"].get<int64_t>();
  auto again = Upload(second, {FilePart("images", ReadFile(DemoPhoto(2)), "copy.jpg")});
  ASSERT_TRUE(again && again->status == 200) << (again ? again->body : "");
  const auto file = Json(again)["files"][0];
  EXPECT_EQ(file["status"], "duplicate");
  EXPECT_EQ(file["image_id"], image);
  EXPECT_EQ(file["held_in"]["source"], "press-a");
  EXPECT_EQ(file["held_in"]["source_id"], first);
  EXPECT_FALSE(file.contains("held_elsewhere"));
}

TEST_F(WebuxApiTest, SourcesListCountsAndBatchesLinkToTheirAuditRecords) {
  const int64_t id = DeclareOk("counted");
  auto up = Upload(id, {FilePart("images", ReadFile(DemoPhoto(2)), "sample2.jpg"),
                        FilePart("images", "this is not a photo", "notes.txt")});
  ASSERT_TRUE(up && up->status == 200) << (up ? up->body : "");
  const int64_t faces = Json(up)["faces"].get<int64_t>();
  ASSERT_GT(faces, 0);

  auto list = c_->Get("/api/v1/sources", server_->Auth(Role::kAuditor));
  ASSERT_TRUE(list && list->status == 200);
  const auto src = Json(list)["sources"][0];
  EXPECT_EQ(src["images"], 1);
  EXPECT_EQ(src["faces"], faces);
  EXPECT_EQ(src["batches"], 1);
  EXPECT_EQ(src["ingest_errors"], 1);

  auto batches =
      c_->Get("/api/v1/sources/" + std::to_string(id) + "/batches", server_->Auth(Role::kAuditor));
  ASSERT_TRUE(batches && batches->status == 200) << (batches ? batches->body : "");
  const auto b = Json(batches)["batches"];
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0]["images"], 1);
  EXPECT_EQ(b[0]["errors"], 1);
  EXPECT_FALSE(b[0]["finished_at"].get<std::string>().empty());
  ASSERT_EQ(b[0]["error_list"].size(), 1u);
  EXPECT_EQ(b[0]["error_list"][0]["file"], "notes.txt");
  EXPECT_FALSE(b[0]["error_list"][0]["message"].get<std::string>().empty());

  // The batch's audit link returns its ingest record, and only records of that batch.
  const std::string audit_url = b[0]["audit_url"].get<std::string>();
  auto audit = c_->Get(audit_url, server_->Auth(Role::kAuditor));
  ASSERT_TRUE(audit && audit->status == 200) << (audit ? audit->body : "");
  const auto entries = Json(audit)["entries"];
  // A batch is audited when it starts and when it ends (docs/PRIVACY.md, "Ingest batches").
  ASSERT_EQ(entries.size(), 2u);
  std::set<std::string> actions;
  for (const auto& e : entries) {
    actions.insert(e["action"].get<std::string>());
    EXPECT_EQ(e["details"]["batch_id"], b[0]["id"]);
  }
  EXPECT_EQ(actions, (std::set<std::string>{"ingest-start", "ingest"}));
  auto none = c_->Get("/api/v1/audit?batch_id=999999", server_->Auth(Role::kAuditor));
  ASSERT_TRUE(none && none->status == 200);
  EXPECT_TRUE(Json(none)["entries"].empty());
  auto bad = c_->Get("/api/v1/audit?batch_id=x", server_->Auth(Role::kAuditor));
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
}

TEST_F(WebuxApiTest, ClusterNowRunsInTheBackgroundWithProgressAndIsAudited) {
  const int64_t id = DeclareOk("people-src");
  httplib::MultipartFormDataItems files;
  for (int i = 1; i <= 6; ++i) {
    files.push_back(FilePart("images", ReadFile(DemoPhoto(i)), "s" + std::to_string(i) + ".jpg"));
  }
  auto up = Upload(id, files);
  ASSERT_TRUE(up && up->status == 200) << (up ? up->body : "");

  auto idle = c_->Get("/api/v1/people/cluster", server_->Auth(Role::kPrivacy));
  ASSERT_TRUE(idle && idle->status == 200);
  EXPECT_EQ(Json(idle)["state"], "idle");

  auto start =
      c_->Post("/api/v1/people/cluster", server_->Auth(Role::kPrivacy), "{}", "application/json");
  ASSERT_TRUE(start);
  ASSERT_EQ(start->status, 202) << start->body;
  EXPECT_EQ(Json(start)["started_by"], "privacy-key");
  nlohmann::json state;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  do {
    auto r = c_->Get("/api/v1/people/cluster", server_->Auth(Role::kPrivacy));
    ASSERT_TRUE(r && r->status == 200);
    state = Json(r);
    if (state["state"] != "running") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(state["state"], "done") << state.dump();
  const auto summary = state["summary"];
  auto stats = engine_->catalog().Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(summary["faces"], stats->searchable_faces);
  EXPECT_EQ(summary["new_people_faces"].get<int64_t>() + summary["unassigned"].get<int64_t>(),
            stats->searchable_faces);
  auto people = c_->Get("/api/v1/people?purpose=review&legal_basis=art6-1-e&case_ref=C-1",
                        server_->Auth(Role::kPrivacy));
  ASSERT_TRUE(people && people->status == 200);
  EXPECT_EQ(Json(people)["people"].size(), summary["people"].get<size_t>());

  auto audit = c_->Get("/api/v1/audit?action=people", server_->Auth(Role::kAuditor));
  ASSERT_TRUE(audit && audit->status == 200);
  const auto entries = Json(audit)["entries"];
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0]["seq"], summary["audit_seq"]);
  EXPECT_EQ(entries[0]["operator"], "privacy-key");
  EXPECT_EQ(entries[0]["details"]["change"], "cluster");
  EXPECT_EQ(entries[0]["details"]["faces"], stats->searchable_faces);
}

TEST_F(WebuxApiTest, FaviconIsServed) {
  auto r = c_->Get("/favicon.ico");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "image/svg+xml");
  EXPECT_NE(r->body.find("<svg"), std::string::npos);
}

// Regression: the HTTP pool was 2 * threads + 2 = 4 workers with --threads 1; a browser's six
// keep-alive connections each hold a worker until they idle out, so the next request (a face crop)
// waited the keep-alive timeout (here 10 s). The pool is now sized apart from the analyzers.
TEST_F(WebuxApiTest, OneAnalyzerStillServesABrowsersConnections) {
  EXPECT_GE(HttpWorkers(ServerOptions{.threads = 1}), 8u);
  // Six browser connections, then a seventh request: each connection is kept open (keep-alive)
  // after its first reply; none of the seven may wait for another to idle out.
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<httplib::Client>> browser;
  for (int i = 0; i < 7; ++i) {
    auto c = server_->Client();
    c->set_keep_alive(true);
    auto r = c->Get(i < 6 ? "/app/style.css" : "/api/v1/healthz");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    browser.push_back(std::move(c));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(seconds, 3.0) << "a request waited for a keep-alive connection to idle out";
}

}  // namespace
}  // namespace likeness::server::testing
