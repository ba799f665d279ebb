// The API end to end over real HTTP: search, verify, detect, sources, uploads, images, crops,
// stats, metrics, health, and the JSON error shape.
#include <opencv2/imgcodecs.hpp>

#include "common/hash.h"
#include "governance/optout.h"
#include "privacy/audit_log.h"
#include "server_fixture.h"

namespace likeness::server::testing {
namespace {
namespace fs = std::filesystem;

class ApiTest : public ServerTest {
 protected:
  static httplib::Result CreateSource(const nlohmann::json& body, Role role = Role::kIngest) {
    return Client()->Post("/api/v1/sources", Auth(role), body.dump(), "application/json");
  }
};

int64_t ImageIdOf(engine::Engine& e, int sample) {
  const std::string bytes = ReadFile(DemoPhoto(sample));
  auto id = e.catalog().FindImageByHash(
      Sha256Hex({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}));
  EXPECT_TRUE(id.ok() && id->has_value());
  return id.ok() && id->has_value() ? **id : 0;
}

cv::Mat DecodeJpeg(const std::string& body) {
  std::vector<uint8_t> buf(body.begin(), body.end());
  return cv::imdecode(buf, cv::IMREAD_COLOR);
}

TEST_F(ApiTest, HealthzIsPublicAndAnswersJson) {
  auto r = Client()->Get("/api/v1/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Json(r)["status"], "ok");
  EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_NE(r->get_header_value("Content-Security-Policy").find("default-src 'none'"),
            std::string::npos);
}

TEST_F(ApiTest, WhoamiNamesTheKey) {
  auto r = Client()->Get("/api/v1/whoami", Auth(Role::kAuditor));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto j = Json(r);
  EXPECT_EQ(j["name"], "auditor-key");
  EXPECT_EQ(j["role"], "auditor");
  EXPECT_EQ(j["tenant"], "default");
}

TEST_F(ApiTest, SearchFindsTheSamePersonInAnotherPhotoAndIsAudited) {
  EnsureCatalog();
  const std::string probe = ReadFile(DemoPhoto(1));
  auto r = Client()->Post("/api/v1/search", Auth(Role::kSearch),
                          Justified({FilePart("image", probe), TextPart("top_k", "3")}));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Cache-Control"), "no-store");
  auto j = Json(r);
  ASSERT_GE(j["faces"].size(), 3u);
  const auto& largest = j["faces"][0];
  EXPECT_EQ(largest["decision"], "match");
  ASSERT_FALSE(largest["matches"].empty());
  const auto& best = largest["matches"][0];
  EXPECT_EQ(best["image_id"], ImageIdOf(Engine(), 3));
  EXPECT_TRUE(best["match"].get<bool>());
  EXPECT_GT(best["score"].get<double>(), 0.45);
  EXPECT_EQ(best["source"], "demo");
  EXPECT_EQ(best["legal_basis"], "art6-1-e");
  EXPECT_EQ(best["art9_condition"], "art9-2-g");
  EXPECT_EQ(best["jurisdiction"], "DE");
  EXPECT_EQ(best["retain_until"], "2030-12-31");
  EXPECT_FALSE(best.contains("image_path")) << "server paths must not leak";
  EXPECT_EQ(
      best["crop_url"].get<std::string>().rfind(
          "/api/v1/faces/" + std::to_string(best["face_id"].get<int64_t>()) + "/crop?token=", 0),
      0u);
  for (const auto& f : j["faces"]) EXPECT_LE(f["matches"].size(), 3u);

  // The audit chain has the search, under the key's name, with the justification.
  const int64_t seq = j["audit_seq"].get<int64_t>();
  auto log = privacy::AuditLog::Open(privacy::AuditLogOptionsForDataDir(DataDir()));
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  auto entries = (*log)->Query({.action = "search", .limit = 1000});
  ASSERT_TRUE(entries.ok());
  const privacy::AuditEntry* found = nullptr;
  for (const auto& e : *entries) {
    if (e.seq == seq) found = &e;
  }
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->operator_id, "search-key");
  EXPECT_EQ(found->purpose, "integration test");
  EXPECT_EQ(found->legal_basis, "art6-1-e");
  EXPECT_EQ(found->case_ref, "TEST-1");
  EXPECT_EQ(found->probe_hash,
            Sha256Hex({reinterpret_cast<const uint8_t*>(probe.data()), probe.size()}));
  EXPECT_GT(found->result_count, 0);
  auto details = nlohmann::json::parse(found->details);
  EXPECT_EQ(details["face_ids"][0], best["face_id"]);
}

TEST_F(ApiTest, SearchRequiresPurposeBasisAndCase) {
  const std::string probe = ReadFile(DemoPhoto(1));
  const auto without = [&](const std::string& field) {
    httplib::MultipartFormDataItems items = {FilePart("image", probe)};
    for (auto& part : Justified({})) {
      if (part.name != field) items.push_back(part);
    }
    return Client()->Post("/api/v1/search", Auth(Role::kSearch), items);
  };
  for (const std::string field : {"purpose", "legal_basis", "case_ref"}) {
    auto r = without(field);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << field;
    EXPECT_EQ(ErrorCode(r), "invalid_argument");
    EXPECT_NE(Json(r)["error"]["message"].get<std::string>().find(field), std::string::npos);
  }
  auto no_image = Client()->Post("/api/v1/search", Auth(Role::kSearch), Justified({}));
  ASSERT_TRUE(no_image);
  EXPECT_EQ(no_image->status, 400);

  auto bad_basis = Client()->Post("/api/v1/search", Auth(Role::kSearch),
                                  {FilePart("image", probe), TextPart("purpose", "p"),
                                   TextPart("legal_basis", "because"), TextPart("case_ref", "c")});
  ASSERT_TRUE(bad_basis);
  EXPECT_EQ(bad_basis->status, 400);

  auto bad_top = Client()->Post("/api/v1/search", Auth(Role::kSearch),
                                Justified({FilePart("image", probe), TextPart("top_k", "0")}));
  ASSERT_TRUE(bad_top);
  EXPECT_EQ(bad_top->status, 400);
}

TEST_F(ApiTest, SearchOfAPhotoWithoutFacesIsEmptyNotAnError) {
  cv::Mat grey(240, 320, CV_8UC3, cv::Scalar(128, 128, 128));
  std::vector<uint8_t> png;
  ASSERT_TRUE(cv::imencode(".png", grey, png));
  auto r = Client()->Post(
      "/api/v1/search", Auth(Role::kSearch),
      Justified({FilePart("image", std::string(png.begin(), png.end()), "grey.png")}));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_TRUE(Json(r)["faces"].empty());
}

TEST_F(ApiTest, VerifyComparesTheLargestFaces) {
  const auto verify = [](int a, int b) {
    return Client()->Post("/api/v1/verify", Auth(Role::kSearch),
                          Justified({FilePart("image_a", ReadFile(DemoPhoto(a))),
                                     FilePart("image_b", ReadFile(DemoPhoto(b)))}));
  };
  auto same = verify(1, 3);
  ASSERT_TRUE(same);
  ASSERT_EQ(same->status, 200) << same->body;
  EXPECT_TRUE(Json(same)["same_person"].get<bool>());
  EXPECT_GT(Json(same)["audit_seq"].get<int64_t>(), 0);
  auto different = verify(1, 4);
  ASSERT_TRUE(different);
  ASSERT_EQ(different->status, 200);
  EXPECT_FALSE(Json(different)["same_person"].get<bool>());

  auto one = Client()->Post("/api/v1/verify", Auth(Role::kSearch),
                            Justified({FilePart("image_a", ReadFile(DemoPhoto(1)))}));
  ASSERT_TRUE(one);
  EXPECT_EQ(one->status, 400);
}

TEST_F(ApiTest, DetectFacesReturnsBoxesPointsAndQuality) {
  auto r = Client()->Post("/api/v1/faces", Auth(Role::kIngest),
                          {FilePart("image", ReadFile(DemoPhoto(2)))});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto j = Json(r);
  EXPECT_EQ(j["format"], "jpeg");
  EXPECT_GT(j["width"].get<int>(), 0);
  ASSERT_GE(j["faces"].size(), 3u);
  EXPECT_EQ(j["faces"][0]["points"].size(), 5u);
  EXPECT_TRUE(j["faces"][0]["quality"].contains("overall"));
  EXPECT_FALSE(j["faces"][0].contains("embedding"));
}

nlohmann::json Declaration(const std::string& name) {
  return {{"name", name},
          {"legal_basis", "public-task"},
          {"art9_condition", "substantial-public-interest"},
          {"jurisdiction", "fr"},
          {"retain_until", "2031-06-30"}};
}

TEST_F(ApiTest, SourcesAreCreatedListedAndShown) {
  auto created = CreateSource(Declaration("press-2026"));
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  auto s = Json(created);
  EXPECT_EQ(s["name"], "press-2026");
  EXPECT_EQ(s["legal_basis"], "art6-1-e");
  EXPECT_EQ(s["art9_condition"], "art9-2-g");
  EXPECT_EQ(s["jurisdiction"], "FR");
  EXPECT_EQ(s["kind"], "upload");
  EXPECT_EQ(s["collector"], "ingest-key");
  EXPECT_FALSE(s.contains("location"));
  const int64_t id = s["id"].get<int64_t>();
  EXPECT_EQ(created->get_header_value("Location"), "/api/v1/sources/" + std::to_string(id));

  auto again = CreateSource(Declaration("press-2026"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 409);
  EXPECT_EQ(ErrorCode(again), "already_exists");

  auto list = Client()->Get("/api/v1/sources", Auth(Role::kAuditor));
  ASSERT_TRUE(list);
  ASSERT_EQ(list->status, 200);
  bool listed = false;
  const auto listing = Json(list);
  for (const auto& src : listing["sources"]) listed = listed || src["id"] == id;
  EXPECT_TRUE(listed) << list->body;

  auto one = Client()->Get("/api/v1/sources/" + std::to_string(id), Auth(Role::kSearch));
  ASSERT_TRUE(one);
  ASSERT_EQ(one->status, 200);
  EXPECT_EQ(Json(one)["name"], "press-2026");
  auto missing = Client()->Get("/api/v1/sources/999999", Auth(Role::kSearch));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(ErrorCode(missing), "not_found");
}

TEST_F(ApiTest, SourceDeclarationsAreValidated) {
  auto decl = Declaration("v1");
  decl.erase("art9_condition");
  auto no_art9 = CreateSource(decl);
  ASSERT_TRUE(no_art9);
  EXPECT_EQ(no_art9->status, 400);
  EXPECT_NE(no_art9->body.find("Art. 9"), std::string::npos);

  auto combined = Declaration("v2");
  combined.erase("art9_condition");
  combined["legal_basis"] = "art6-1-e,art9-2-g";
  auto ok = CreateSource(combined);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 201) << ok->body;

  for (auto [key, value] :
       std::vector<std::pair<std::string, nlohmann::json>>{{"jurisdiction", "UK"},
                                                           {"jurisdiction", "XX"},
                                                           {"legal_basis", "because"},
                                                           {"retain_until", "2026-02-30"},
                                                           {"name", ""},
                                                           {"name", 42},
                                                           {"name", "tab\nnewline"}}) {
    auto d = Declaration("v3");
    d[key] = value;
    auto r = CreateSource(d);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << key << "=" << value.dump() << ": " << r->body;
    EXPECT_EQ(ErrorCode(r), "invalid_argument");
  }
}

TEST_F(ApiTest, UploadsIngestIntoADeclaredSourceAndAreSearchable) {
  auto created = CreateSource(Declaration("uploads-1"));
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201);
  const int64_t id = Json(created)["id"].get<int64_t>();
  const std::string path = "/api/v1/sources/" + std::to_string(id) + "/images";

  auto r = Client()->Post(path, Auth(Role::kIngest),
                          {FilePart("images", ReadFile(DemoPhoto(5)), "../../../../tmp/evil.jpg"),
                           FilePart("images", ReadFile(DemoPhoto(6)), "six.jpg"),
                           FilePart("images", "this is not an image", "notes.txt")});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto j = Json(r);
  EXPECT_EQ(j["images"], 2);
  EXPECT_EQ(j["errors"], 1);
  EXPECT_GT(j["faces"].get<int>(), 5);
  ASSERT_EQ(j["files"].size(), 3u);
  EXPECT_EQ(j["files"][0]["name"], "evil.jpg");
  EXPECT_EQ(j["files"][0]["status"], "stored");
  EXPECT_EQ(j["files"][2]["status"], "error");
  EXPECT_EQ(j["files"][2]["error"]["code"], "invalid_argument");

  // Stored by content hash inside the data folder; the client's name went nowhere.
  const std::string six = ReadFile(DemoPhoto(6));
  const std::string six_hash =
      Sha256Hex({reinterpret_cast<const uint8_t*>(six.data()), six.size()});
  EXPECT_TRUE(fs::exists(DataDir() / "uploads" / std::to_string(id) / (six_hash + ".jpeg")));
  EXPECT_FALSE(fs::exists("/tmp/evil.jpg"));
  size_t stored_files = 0;
  for (const auto& e : fs::recursive_directory_iterator(DataDir() / "uploads")) {
    if (e.is_regular_file()) ++stored_files;
    EXPECT_EQ(e.path().filename().string().find("evil"), std::string::npos);
  }
  EXPECT_EQ(stored_files, 2u);

  // The same bytes again are duplicates, not new images.
  auto again = Client()->Post(path, Auth(Role::kAdmin),
                              {FilePart("images", ReadFile(DemoPhoto(6)), "six-again.jpg")});
  ASSERT_TRUE(again);
  ASSERT_EQ(again->status, 200);
  EXPECT_EQ(Json(again)["duplicates"], 1);
  EXPECT_EQ(Json(again)["files"][0]["status"], "duplicate");

  // Only junk: 400 with the per-file report.
  auto junk = Client()->Post(path, Auth(Role::kIngest), {FilePart("images", "junk", "a.jpg")});
  ASSERT_TRUE(junk);
  EXPECT_EQ(junk->status, 400);
  EXPECT_EQ(Json(junk)["files"][0]["status"], "error");

  // An uploaded photo is found by a search of itself.
  auto found = Client()->Post("/api/v1/search", Auth(Role::kSearch),
                              Justified({FilePart("image", six), TextPart("top_k", "1")}));
  ASSERT_TRUE(found);
  ASSERT_EQ(found->status, 200);
  EXPECT_EQ(Json(found)["faces"][0]["matches"][0]["source"], "uploads-1");

  auto no_source = Client()->Post("/api/v1/sources/424242/images", Auth(Role::kIngest),
                                  {FilePart("images", six)});
  ASSERT_TRUE(no_source);
  EXPECT_EQ(no_source->status, 404);
  auto no_files = Client()->Post(path, Auth(Role::kIngest), {TextPart("note", "x")});
  ASSERT_TRUE(no_files);
  EXPECT_EQ(no_files->status, 400);
}

TEST_F(ApiTest, ImagesAndCropsAreServedAsFreshJpegs) {
  EnsureCatalog();
  // Photos and crops are served with the media tokens a search returned with them.
  auto search = Client()->Post(
      "/api/v1/search", Auth(Role::kSearch),
      Justified({FilePart("image", ReadFile(DemoPhoto(1))), TextPart("largest", "true")}));
  ASSERT_TRUE(search);
  ASSERT_EQ(search->status, 200) << search->body;
  const nlohmann::json found = Json(search);
  ASSERT_FALSE(found["faces"][0]["matches"].empty());
  const auto& best = found["faces"][0]["matches"][0];
  const int64_t image_id = best["image_id"].get<int64_t>();
  auto img = Client()->Get(best["image_url"].get<std::string>(), Auth(Role::kSearch));
  ASSERT_TRUE(img);
  ASSERT_EQ(img->status, 200) << img->body;
  EXPECT_EQ(img->get_header_value("Content-Type"), "image/jpeg");
  EXPECT_EQ(img->get_header_value("Cache-Control"), "no-store");
  cv::Mat decoded = DecodeJpeg(img->body);
  ASSERT_FALSE(decoded.empty());
  auto record = Engine().catalog().GetImage(image_id);
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(decoded.cols, record->width);
  EXPECT_EQ(decoded.rows, record->height);
  EXPECT_EQ(img->body.find("Exif"), std::string::npos) << "metadata must be stripped";

  auto crop = Client()->Get(best["crop_url"].get<std::string>(), Auth(Role::kSearch));
  ASSERT_TRUE(crop);
  ASSERT_EQ(crop->status, 200);
  cv::Mat c = DecodeJpeg(crop->body);
  ASSERT_FALSE(c.empty());
  EXPECT_LE(std::max(c.cols, c.rows), 256);

  // Without a token nothing is served, held or not (tests/redteam/access/media_walk_test.cc).
  for (const std::string& p :
       {std::string("/api/v1/images/987654"), std::string("/api/v1/faces/987654/crop"),
        "/api/v1/images/" + std::to_string(image_id)}) {
    auto missing = Client()->Get(p, Auth(Role::kAdmin));
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->status, 403) << p;
  }
}

TEST_F(ApiTest, StatsAndMetricsReflectTheCatalogAndTraffic) {
  EnsureCatalog();
  auto search = Client()->Post("/api/v1/search", Auth(Role::kSearch),
                               Justified({FilePart("image", ReadFile(DemoPhoto(1)))}));
  ASSERT_TRUE(search);
  ASSERT_EQ(search->status, 200);

  auto stats = Client()->Get("/api/v1/stats", Auth(Role::kAuditor));
  ASSERT_TRUE(stats);
  ASSERT_EQ(stats->status, 200);
  auto s = Json(stats);
  EXPECT_GE(s["images"].get<int>(), 3);
  EXPECT_GE(s["faces"].get<int>(), 9);
  EXPECT_EQ(s["index"]["kind"], "Flat");
  EXPECT_FALSE(s.contains("data_dir")) << "server paths must not leak";

  auto m = Client()->Get("/api/v1/metrics", Auth(Role::kAdmin));
  ASSERT_TRUE(m);
  ASSERT_EQ(m->status, 200);
  EXPECT_EQ(m->get_header_value("Content-Type").rfind("text/plain", 0), 0u);
  const std::string& text = m->body;
  EXPECT_NE(text.find("likeness_http_requests_total{method=\"POST\",route=\"/api/v1/search\","
                      "status=\"200\"} "),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("likeness_http_request_duration_seconds_count{method=\"POST\",route=\"/"
                      "api/v1/search\"} "),
            std::string::npos);
  EXPECT_NE(text.find("likeness_faces_indexed " + std::to_string(Engine().index().size())),
            std::string::npos);
  EXPECT_NE(text.find("likeness_ingest_images_total"), std::string::npos);
}

TEST_F(ApiTest, UnknownRoutesAndMethodsGetJsonErrors) {
  auto nope = Client()->Get("/api/v1/nope");
  ASSERT_TRUE(nope);
  EXPECT_EQ(nope->status, 404);
  EXPECT_EQ(ErrorCode(nope), "not_found");
  auto wrong = Client()->Get("/api/v1/search", Auth(Role::kSearch));
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(ErrorCode(wrong), "method_not_allowed");
  auto del = Client()->Delete("/api/v1/sources/1", Auth(Role::kAdmin));
  ASSERT_TRUE(del);
  EXPECT_GE(del->status, 400);
  EXPECT_LT(del->status, 500);
  EXPECT_FALSE(Json(del).is_discarded()) << del->body;
}

TEST_F(ApiTest, TheWebAppIsServedFromTheBinary) {
  auto index = Client()->Get("/");
  ASSERT_TRUE(index);
  ASSERT_EQ(index->status, 200);
  EXPECT_EQ(index->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(index->body.find("<html"), std::string::npos);
  auto missing = Client()->Get("/app/nothing-here.js");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

}  // namespace
}  // namespace likeness::server::testing

namespace likeness::server::testing {
namespace {

// Its own data folder: opting a person out erases their faces.
TEST(GovernedApiTest, OptedOutPeopleAreNeitherFoundNorStored) {
  ASSERT_TRUE(likeness::testing::ModelDir() && likeness::testing::DemoPhotoDir());
  likeness::testing::TempDir dir;
  engine::EngineOptions eo;
  eo.data_dir = dir.path() / "data";
  eo.model_dir = *likeness::testing::ModelDir();
  auto engine = engine::Engine::Open(eo);
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  TestServer s(**engine);
  ASSERT_TRUE(s.ok());
  auto c = s.Client();

  auto created =
      c->Post("/api/v1/sources", s.Auth(Role::kIngest),
              nlohmann::json{
                  {"name", "press"}, {"legal_basis", "art6-1-e,art9-2-g"}, {"jurisdiction", "DE"}}
                  .dump(),
              "application/json");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201);
  const std::string upload =
      "/api/v1/sources/" + std::to_string(Json(created)["id"].get<int64_t>()) + "/images";
  auto up = c->Post(upload, s.Auth(Role::kIngest),
                    httplib::MultipartFormDataItems{FilePart("images", ReadFile(DemoPhoto(3))),
                                                    FilePart("images", ReadFile(DemoPhoto(4)))});
  ASSERT_TRUE(up);
  ASSERT_EQ(up->status, 200) << up->body;

  const auto search = [&] {
    auto r = c->Post(
        "/api/v1/search", s.Auth(Role::kSearch),
        Justified({FilePart("image", ReadFile(DemoPhoto(1))), TextPart("largest", "true")}));
    EXPECT_TRUE(r && r->status == 200);
    return Json(r);
  };
  EXPECT_EQ(search()["faces"][0]["decision"], "match");

  // The person opts out (the privacy officer's CLI path; its API route is still to come).
  const std::string probe = ReadFile(DemoPhoto(1));
  auto opted = governance::AddOptOut(s.server().governance(),
                                     {reinterpret_cast<const uint8_t*>(probe.data()), probe.size()},
                                     "REQ-1", /*largest=*/true,
                                     {.operator_id = "dpo",
                                      .purpose = "opt-out request",
                                      .legal_basis = "art6-1-c",
                                      .case_ref = "REQ-1"});
  ASSERT_TRUE(opted.ok()) << opted.status().ToString();

  EXPECT_EQ(search()["faces"][0]["decision"], "no_match");

  // A new photo of them uploaded later: their face is dropped, the others are stored.
  cv::Mat photo3 = cv::imread(DemoPhoto(3).string());
  std::vector<uint8_t> reencoded;
  ASSERT_TRUE(cv::imencode(".png", photo3, reencoded));
  const std::string bytes(reencoded.begin(), reencoded.end());
  auto detected =
      c->Post("/api/v1/faces", s.Auth(Role::kIngest), {FilePart("image", bytes, "3.png")});
  ASSERT_TRUE(detected);
  const int in_photo = static_cast<int>(Json(detected)["faces"].size());
  auto again = c->Post(upload, s.Auth(Role::kIngest), {FilePart("images", bytes, "3.png")});
  ASSERT_TRUE(again);
  ASSERT_EQ(again->status, 200) << again->body;
  EXPECT_EQ(Json(again)["faces"].get<int>(), in_photo - 1);
  EXPECT_EQ(search()["faces"][0]["decision"], "no_match");

  // Collection in a jurisdiction blocked by policy is refused as a whole.
  ASSERT_TRUE(s.server().governance().store().Block("DE").ok());
  auto blocked =
      c->Post(upload, s.Auth(Role::kIngest), {FilePart("images", ReadFile(DemoPhoto(6)), "6.jpg")});
  ASSERT_TRUE(blocked);
  EXPECT_EQ(blocked->status, 409) << blocked->body;
  EXPECT_EQ(ErrorCode(blocked), "failed_precondition");
}

}  // namespace
}  // namespace likeness::server::testing
