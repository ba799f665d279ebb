// Access control: every route with every role (2xx or 403), without a key (401), with a bad or
// revoked key (401); rate limits per key, per address, for failed authentications and for the
// selfcheck role (429); and a graceful stop that finishes the request in flight.
#include <array>
#include <map>
#include <set>

#include "common/hash.h"
#include "openset/people_store.h"
#include "server/api_keys.h"
#include "server_fixture.h"

namespace likeness::server::testing {
namespace {

class AccessTest : public ServerTest {};

int64_t ImageIdOfSample(int sample) {
  const std::string bytes = ReadFile(DemoPhoto(sample));
  auto id = ServerTest::Engine().catalog().FindImageByHash(
      Sha256Hex({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}));
  return id.ok() && id->has_value() ? **id : 0;
}

using Send = std::function<httplib::Result(httplib::Client&, const httplib::Headers&, Role)>;

struct Case {
  std::string method, pattern;
  RoleSet allowed;  // empty: public (no key needed)
  Send send;
  // The status an allowed role gets; 0: any 2xx. (The self-check's submit and request routes
  // answer an admitted caller 409 for a made-up nonce or receipt: the gate let it through.)
  int allowed_status = 0;
};

// People for the people routes: one to read and rename, and per editing role one to merge into,
// one to merge from and one to split a face off (people.db does not need the faces to exist).
struct PeopleIds {
  int64_t shown = 0;
  std::map<Role, std::array<int64_t, 3>> edits;  // into, from, split
  std::map<Role, int64_t> split_face;
};

PeopleIds MakePeople() {
  PeopleIds ids;
  auto store = openset::PeopleStore::Open(ServerTest::DataDir());
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  if (!store.ok()) return ids;
  int64_t next = 900'000;
  const auto person = [&]() {
    ++next;
    return *(*store)->CreatePerson({{next, next}});
  };
  ids.shown = person();
  for (Role role : {Role::kAdmin, Role::kPrivacy}) {
    ids.edits[role] = {person(), person(), person()};
    ids.split_face[role] = next;
  }
  return ids;
}

// The policy, written out independently of routes.cc: if either changes alone, this test fails.
std::vector<Case> Matrix(int64_t source_id, int64_t image_id, int64_t face_id,
                         std::map<Role, int64_t> erasable_faces, const PeopleIds& people) {
  using enum Role;
  const RoleSet staff = {kAdmin, kIngest, kSearch, kAuditor, kPrivacy};
  const RoleSet see_faces = {kAdmin, kSearch, kPrivacy};
  const std::string probe = ReadFile(DemoPhoto(1));
  const std::string other = ReadFile(DemoPhoto(4));
  const std::string upload = ReadFile(DemoPhoto(5));
  const std::string stranger = ReadFile(DemoPhoto(6));  // nobody held: an opt-out erases nothing
  const auto get = [](std::string path) {
    return [path](httplib::Client& c, const httplib::Headers& h, Role) { return c.Get(path, h); };
  };
  const std::string sources = "/api/v1/sources/" + std::to_string(source_id);
  // Photos and crops open only with the media token of a purpose-bound read: a role that may see
  // faces first makes one (a search, or a subject access for privacy officers) and follows a URL
  // it returned; other roles try the bare path (the gate refuses them before any token check).
  const auto media = [probe](std::string key, int64_t id) {
    return [probe, key, id](httplib::Client& c, const httplib::Headers& h, Role role) {
      if (role != Role::kAdmin && role != Role::kSearch && role != Role::kPrivacy) {
        const std::string bare = key == "image_url" ? "/api/v1/images/" + std::to_string(id)
                                 : key == "video_url"
                                     ? "/api/v1/videos/" + std::to_string(id)
                                     : "/api/v1/faces/" + std::to_string(id) + "/crop";
        return c.Get(bare, h);
      }
      const bool search = role == Role::kSearch;
      // A video plays with the token of its image id: follow the image URL on the videos route.
      const std::string field = key == "video_url" ? "image_url" : key;
      auto read = c.Post(search ? "/api/v1/search" : "/api/v1/access", h,
                         Justified({FilePart("image", probe), TextPart("largest", "true")}));
      const nlohmann::json j = Json(read);
      std::string url;
      if (search && j.contains("faces") && !j["faces"].empty() && !j["faces"][0]["matches"].empty())
        url = j["faces"][0]["matches"][0].value(field, "");
      if (!search && j.contains("faces") && !j["faces"].empty())
        url = j["faces"][0].value(field, "");
      if (key == "video_url" && url.starts_with("/api/v1/images/")) {
        url.replace(0, std::string("/api/v1/images/").size(), "/api/v1/videos/");
      }
      return c.Get(url.empty() ? "/api/v1/images/0" : url, h);
    };
  };
  return {
      {"GET", "/api/v1/healthz", {}, get("/api/v1/healthz")},
      {"GET", "/api/v1/openapi.json", {}, get("/api/v1/openapi.json")},
      {"GET",
       "/api/v1/whoami",
       {kAdmin, kIngest, kSearch, kAuditor, kPrivacy, kSelfCheck},
       get("/api/v1/whoami")},
      {"GET", "/api/v1/stats", staff, get("/api/v1/stats")},
      {"GET", "/api/v1/metrics", {kAdmin, kAuditor}, get("/api/v1/metrics")},
      {"POST",
       "/api/v1/search",
       {kAdmin, kSearch},
       [probe](httplib::Client& c, const httplib::Headers& h, Role) {
         return c.Post("/api/v1/search", h,
                       Justified({FilePart("image", probe), TextPart("largest", "true")}));
       }},
      {"POST",
       "/api/v1/verify",
       {kAdmin, kSearch},
       [probe, other](httplib::Client& c, const httplib::Headers& h, Role) {
         return c.Post("/api/v1/verify", h,
                       Justified({FilePart("image_a", probe), FilePart("image_b", other)}));
       }},
      {"POST",
       "/api/v1/faces",
       {kAdmin, kSearch, kIngest},
       [other](httplib::Client& c, const httplib::Headers& h, Role) {
         return c.Post("/api/v1/faces", h, {FilePart("image", other)});
       }},
      {"POST",
       "/api/v1/sources",
       {kAdmin, kIngest},
       [](httplib::Client& c, const httplib::Headers& h, Role role) {
         const nlohmann::json d = {{"name", "matrix-" + std::string(RoleName(role))},
                                   {"legal_basis", "art6-1-e,art9-2-g"},
                                   {"jurisdiction", "DE"}};
         return c.Post("/api/v1/sources", h, d.dump(), "application/json");
       }},
      {"GET", "/api/v1/sources", staff, get("/api/v1/sources")},
      {"GET", "/api/v1/sources/{id}", staff, get(sources)},
      // A source's ingest history (web app's Sources screen): not for investigators or kiosks.
      {"GET",
       "/api/v1/sources/{id}/batches",
       {kAdmin, kIngest, kAuditor, kPrivacy},
       get(sources + "/batches")},
      {"GET", "/favicon.ico", {}, get("/favicon.ico")},
      {"POST",
       "/api/v1/sources/{id}/images",
       {kAdmin, kIngest},
       [upload, sources](httplib::Client& c, const httplib::Headers& h, Role) {
         return c.Post(sources + "/images", h, {FilePart("images", upload)});
       }},
      {"GET", "/api/v1/images/{id}", see_faces, media("image_url", image_id)},
      {"GET", "/api/v1/faces/{id}/crop", see_faces, media("crop_url", face_id)},
      // A photo's id: the roles that may see photos get 404 (not a video), the others 403.
      {"GET", "/api/v1/videos/{id}", see_faces, media("video_url", image_id), 404},
      // Privacy and audit (last: they change what is held).
      {"POST",
       "/api/v1/access",
       {kAdmin, kPrivacy},
       [probe](httplib::Client& c, const httplib::Headers& h, Role) {
         return c.Post("/api/v1/access", h,
                       Justified({FilePart("image", probe), TextPart("largest", "true")}));
       }},
      {"POST",
       "/api/v1/optouts",
       {kAdmin, kPrivacy},
       [stranger](httplib::Client& c, const httplib::Headers& h, Role role) {
         return c.Post(
             "/api/v1/optouts", h,
             Justified({FilePart("image", stranger), TextPart("largest", "true"),
                        TextPart("request_ref", "matrix-" + std::string(RoleName(role)))}));
       }},
      {"GET", "/api/v1/optouts", {kAdmin, kPrivacy}, get("/api/v1/optouts")},
      {"POST",
       "/api/v1/optouts/{ref}/withdraw",
       {kAdmin, kPrivacy},
       [](httplib::Client& c, const httplib::Headers& h, Role role) {
         return c.Post("/api/v1/optouts/matrix-" + std::string(RoleName(role)) + "/withdraw", h,
                       JustifiedJson({}).dump(), "application/json");
       }},
      {"POST",
       "/api/v1/erasures/preview",
       {kAdmin, kPrivacy},
       [](httplib::Client& c, const httplib::Headers& h, Role) {
         return c.Post("/api/v1/erasures/preview", h,
                       JustifiedJson({{"by", "jurisdiction"}, {"value", "DE"}}).dump(),
                       "application/json");
       }},
      {"POST",
       "/api/v1/erasures",
       {kAdmin, kPrivacy},
       [erasable_faces](httplib::Client& c, const httplib::Headers& h, Role role) {
         const auto it = erasable_faces.find(role);
         const int64_t face = it == erasable_faces.end() ? 1 : it->second;
         return c.Post("/api/v1/erasures", h,
                       JustifiedJson({{"by", "face"}, {"value", std::to_string(face)}}).dump(),
                       "application/json");
       }},
      {"GET", "/api/v1/people", see_faces,
       get("/api/v1/people?purpose=matrix&legal_basis=art6-1-e&case_ref=M-1")},
      {"GET", "/api/v1/people/{id}", see_faces,
       get("/api/v1/people/" + std::to_string(people.shown) +
           "?purpose=matrix&legal_basis=art6-1-e&case_ref=M-1")},
      {"POST",
       "/api/v1/people/{id}/name",
       {kAdmin, kPrivacy},
       [people](httplib::Client& c, const httplib::Headers& h, Role role) {
         return c.Post("/api/v1/people/" + std::to_string(people.shown) + "/name", h,
                       nlohmann::json{{"name", std::string(RoleName(role))}}.dump(),
                       "application/json");
       }},
      {"POST",
       "/api/v1/people/{id}/merge",
       {kAdmin, kPrivacy},
       [people](httplib::Client& c, const httplib::Headers& h, Role role) {
         const auto it = people.edits.find(role);
         const auto ids = it == people.edits.end() ? people.edits.at(kAdmin) : it->second;
         return c.Post("/api/v1/people/" + std::to_string(ids[0]) + "/merge", h,
                       nlohmann::json{{"from", ids[1]}}.dump(), "application/json");
       }},
      {"POST",
       "/api/v1/people/{id}/split",
       {kAdmin, kPrivacy},
       [people](httplib::Client& c, const httplib::Headers& h, Role role) {
         const Role r = people.edits.contains(role) ? role : kAdmin;
         return c.Post("/api/v1/people/" + std::to_string(people.edits.at(r)[2]) + "/split", h,
                       nlohmann::json{{"face_id", people.split_face.at(r)}}.dump(),
                       "application/json");
       }},
      {"GET", "/api/v1/audit", {kAdmin, kAuditor}, get("/api/v1/audit?limit=5")},
      {"GET", "/api/v1/audit/verify", {kAdmin, kAuditor}, get("/api/v1/audit/verify")},
      {"POST",
       "/api/v1/selfcheck/challenge",
       {kAdmin, kSelfCheck},
       [](httplib::Client& c, const httplib::Headers& h, Role) {
         return c.Post("/api/v1/selfcheck/challenge", h, "", "application/json");
       }},
      {"POST",
       "/api/v1/selfcheck/submit",
       {kAdmin, kSelfCheck},
       [other](httplib::Client& c, const httplib::Headers& h, Role) {
         return c.Post("/api/v1/selfcheck/submit", h,
                       httplib::MultipartFormDataItems{TextPart("nonce", "matrix"),
                                                       FilePart("frame", other)});
       },
       409},
      {"POST",
       "/api/v1/selfcheck/requests",
       {kAdmin, kSelfCheck},
       [](httplib::Client& c, const httplib::Headers& h, Role) {
         return c.Post("/api/v1/selfcheck/requests", h,
                       nlohmann::json{{"receipt", "matrix"}, {"kind", "erasure"}}.dump(),
                       "application/json");
       },
       409},
      {"GET", "/api/v1/selfcheck/requests", {kAdmin, kPrivacy}, get("/api/v1/selfcheck/requests")},
      {"POST",
       "/api/v1/selfcheck/requests/{ref}/release",
       {kAdmin, kPrivacy},
       [](httplib::Client& c, const httplib::Headers& h, Role) {
         return c.Post("/api/v1/selfcheck/requests/sc-0000000000000000/release", h,
                       JustifiedJson(nlohmann::json::object()).dump(), "application/json");
       },
       404},
      {"GET", "/selfcheck", {}, get("/selfcheck")},
      {"GET", "/", {}, get("/")},
      {"GET", "/app/{file}", {}, get("/app/index.html")},
      // The background people clustering run (last: it regroups people, dropping those the people
      // routes use): privacy officers and admins only. Watching it is 200; starting it is 202, or
      // 409 while the run an earlier role started is still going.
      {"GET", "/api/v1/people/cluster", {kAdmin, kPrivacy}, get("/api/v1/people/cluster")},
      {"POST",
       "/api/v1/people/cluster",
       {kAdmin, kPrivacy},
       [](httplib::Client& c, const httplib::Headers& h, Role) {
         auto r = c.Post("/api/v1/people/cluster", h, "{}", "application/json");
         // 409 = a run is already going: the gate let the role through.
         if (r && r->status == 409) r->status = 202;
         return r;
       }},
  };
}

TEST_F(AccessTest, EveryRouteWithEveryRole) {
  EnsureCatalog();
  auto images = Engine().catalog().GetFacesWithProvenance(std::vector<int64_t>{1});
  ASSERT_TRUE(images.ok());
  ASSERT_FALSE(images->empty());
  const auto& face = (*images)[0];
  // Two faces of sample4 for the two roles allowed to erase.
  auto sample4 = Engine().catalog().GetFacesOfImage(ImageIdOfSample(4), false);
  ASSERT_TRUE(sample4.ok());
  ASSERT_GE(sample4->size(), 2u);
  const auto cases =
      Matrix(face.source.id, face.image.id, face.face.id,
             {{Role::kAdmin, (*sample4)[0].id}, {Role::kPrivacy, (*sample4)[1].id}}, MakePeople());

  // The matrix covers exactly the routes the server registered.
  std::set<std::pair<std::string, std::string>> registered, covered;
  for (const auto& r : Srv().server().router().routes()) registered.insert({r.method, r.pattern});
  for (const auto& c : cases) covered.insert({c.method, c.pattern});
  EXPECT_EQ(registered, covered);

  for (const Case& c : cases) {
    SCOPED_TRACE(c.method + " " + c.pattern);
    auto client = Client();
    auto anonymous = c.send(*client, {}, Role::kAdmin);
    ASSERT_TRUE(anonymous);
    if (c.allowed.empty()) {
      EXPECT_EQ(anonymous->status / 100, 2) << anonymous->body;
    } else {
      EXPECT_EQ(anonymous->status, 401) << anonymous->body;
      EXPECT_EQ(ErrorCode(anonymous), "unauthenticated");
      EXPECT_EQ(anonymous->get_header_value("WWW-Authenticate"), "Bearer realm=\"likeness\"");
      auto forged =
          c.send(*client, {{"Authorization", "Bearer lk_" + std::string(43, 'A')}}, Role::kAdmin);
      ASSERT_TRUE(forged);
      EXPECT_EQ(forged->status, 401);
    }
    for (Role role : kAllRoles) {
      SCOPED_TRACE(std::string(RoleName(role)));
      auto r = c.send(*client, Auth(role), role);
      ASSERT_TRUE(r);
      if (c.allowed_status != 0 && c.allowed.Contains(role)) {
        EXPECT_EQ(r->status, c.allowed_status) << r->body;
      } else if (c.allowed.empty() || c.allowed.Contains(role)) {
        EXPECT_EQ(r->status / 100, 2) << r->body;
      } else {
        EXPECT_EQ(r->status, 403) << r->body;
        EXPECT_EQ(ErrorCode(r), "permission_denied");
      }
    }
  }
}

TEST_F(AccessTest, ARevokedKeyIsRefusedAtTheNextRequest) {
  auto made = Srv().server().keys().Create("short-lived", Role::kSearch, "");
  ASSERT_TRUE(made.ok());
  const httplib::Headers auth = {{"Authorization", "Bearer " + made->key}};
  auto before = Client()->Get("/api/v1/whoami", auth);
  ASSERT_TRUE(before);
  EXPECT_EQ(before->status, 200);
  ASSERT_TRUE(Srv().server().keys().Revoke("short-lived").ok());
  auto after = Client()->Get("/api/v1/whoami", auth);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 401);
}

TEST_F(AccessTest, KeysAreLimitedPerKey) {
  ServerOptions o;
  o.per_key = {0.001, 3};
  TestServer s(Engine(), o);
  ASSERT_TRUE(s.ok());
  auto c = s.Client();
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(c->Get("/api/v1/whoami", s.Auth(Role::kSearch))->status, 200);
  auto limited = c->Get("/api/v1/whoami", s.Auth(Role::kSearch));
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->status, 429);
  EXPECT_EQ(ErrorCode(limited), "rate_limited");
  EXPECT_GE(std::stoi(limited->get_header_value("Retry-After")), 1);
  // Another key is not affected.
  EXPECT_EQ(c->Get("/api/v1/whoami", s.Auth(Role::kAuditor))->status, 200);
  auto metrics = c->Get("/api/v1/metrics", s.Auth(Role::kAdmin));
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("likeness_rate_limited_total{scope=\"key\"} 1"), std::string::npos);
}

TEST_F(AccessTest, AddressesAreLimitedEvenOnPublicRoutes) {
  ServerOptions o;
  o.per_address = {0.001, 4};
  TestServer s(Engine(), o);
  ASSERT_TRUE(s.ok());
  auto c = s.Client();
  for (int i = 0; i < 4; ++i) EXPECT_EQ(c->Get("/api/v1/healthz")->status, 200);
  EXPECT_EQ(c->Get("/api/v1/healthz")->status, 429);
  EXPECT_EQ(c->Get("/api/v1/whoami", s.Auth(Role::kAdmin))->status, 429);
}

TEST_F(AccessTest, GuessingKeysIsSlowedDown) {
  ServerOptions o;
  o.auth_failures_per_address = {0.001, 3};
  TestServer s(Engine(), o);
  ASSERT_TRUE(s.ok());
  const std::string good = s.Key(Role::kSearch);
  auto c = s.Client();
  for (int i = 0; i < 3; ++i) {
    const std::string guess = "lk_" + std::string(42, 'a') + std::to_string(i);
    EXPECT_EQ(c->Get("/api/v1/whoami", {{"Authorization", "Bearer " + guess}})->status, 401);
  }
  // The address is now refused before its key is even looked at, a good key included.
  auto r = c->Get("/api/v1/whoami", {{"Authorization", "Bearer " + good}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(c->Get("/api/v1/healthz")->status, 200);  // public routes still answer
}

TEST_F(AccessTest, SelfCheckKeysHaveStrictLimits) {
  ServerOptions o;
  o.selfcheck_per_address = {0.001, 2};
  TestServer s(Engine(), o);
  ASSERT_TRUE(s.ok());
  auto c = s.Client();
  EXPECT_EQ(c->Get("/api/v1/whoami", s.Auth(Role::kSelfCheck))->status, 200);
  EXPECT_EQ(c->Get("/api/v1/whoami", s.Auth(Role::kSelfCheck))->status, 200);
  EXPECT_EQ(c->Get("/api/v1/whoami", s.Auth(Role::kSelfCheck))->status, 429);
  EXPECT_EQ(c->Get("/api/v1/whoami", s.Auth(Role::kSearch))->status, 200);
}

TEST_F(AccessTest, StopFinishesTheRequestInFlight) {
  EnsureCatalog();
  ServerOptions o;
  o.threads = 1;
  auto s = std::make_unique<TestServer>(Engine(), o);
  ASSERT_TRUE(s->ok());
  const httplib::Headers search_auth = s->Auth(Role::kSearch);
  const httplib::Headers admin_auth = s->Auth(Role::kAdmin);
  const int port = s->port();
  std::atomic<int> status{0};
  std::thread client([&] {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(60);
    auto r = c.Post("/api/v1/search", search_auth,
                    Justified({FilePart("image", ReadFile(DemoPhoto(5)))}));
    status = r ? r->status : -1;
  });
  // Wait until the search is being handled (the metrics request itself is the other one).
  auto c = s->Client();
  bool in_flight = false;
  for (int i = 0; i < 400 && !in_flight && status == 0; ++i) {
    auto m = c->Get("/api/v1/metrics", admin_auth);
    in_flight = m && m->body.find("likeness_http_requests_in_flight 2") != std::string::npos;
    if (!in_flight) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  c.reset();
  s->server().Stop();
  client.join();
  EXPECT_EQ(status.load(), 200);
  s.reset();  // Run has returned; the thread joins
  httplib::Client after("127.0.0.1", port);
  after.set_connection_timeout(1);
  EXPECT_FALSE(after.Get("/api/v1/healthz")) << "stopped server still answers";
}

}  // namespace
}  // namespace likeness::server::testing
