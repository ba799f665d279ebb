// Unit tests of the server's parts that need no models or sockets: roles, the Status -> HTTP
// mapping, token buckets, route matching, form and text validation, bearer parsing, the API key
// store and the metrics text.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "server/api_keys.h"
#include "server/auth.h"
#include "server/form.h"
#include "server/metrics.h"
#include "server/rate_limit.h"
#include "server/reply.h"
#include "server/roles.h"
#include "server/router.h"
#include "testing/test_env.h"

namespace likeness::server {
namespace {
namespace fs = std::filesystem;

TEST(Roles, ParseNamesAndAliases) {
  for (Role r : kAllRoles) {
    auto parsed = ParseRole(RoleName(r));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, r);
  }
  EXPECT_EQ(*ParseRole("Investigator"), Role::kSearch);
  EXPECT_EQ(*ParseRole("privacy-officer"), Role::kPrivacy);
  EXPECT_EQ(*ParseRole("self-check"), Role::kSelfCheck);
  EXPECT_EQ(ParseRole("root").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseRole("").status().code(), StatusCode::kInvalidArgument);
}

TEST(Roles, SetsContainWhatTheyWereGiven) {
  const RoleSet s = {Role::kAdmin, Role::kSearch};
  EXPECT_TRUE(s.Contains(Role::kAdmin));
  EXPECT_TRUE(s.Contains(Role::kSearch));
  EXPECT_FALSE(s.Contains(Role::kSelfCheck));
  EXPECT_EQ(s.ToString(), "admin,search");
  EXPECT_TRUE(RoleSet{}.empty());
}

TEST(Reply, EveryStatusCodeHasOneHttpStatus) {
  EXPECT_EQ(HttpStatusFor(StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(StatusCode::kAlreadyExists), 409);
  EXPECT_EQ(HttpStatusFor(StatusCode::kFailedPrecondition), 409);
  EXPECT_EQ(HttpStatusFor(StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusFor(StatusCode::kResourceExhausted), 413);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnsupported), 415);
  EXPECT_EQ(HttpStatusFor(StatusCode::kCorruption), 500);
  EXPECT_EQ(HttpStatusFor(StatusCode::kIOError), 500);
  EXPECT_EQ(HttpStatusFor(StatusCode::kInternal), 500);
}

TEST(Reply, UserErrorsKeepTheirMessageServerFaultsDoNot) {
  const Reply user = Reply::FromStatus(Status::InvalidArgument("field 'purpose' is required"));
  EXPECT_EQ(user.status, 400);
  auto j = nlohmann::json::parse(user.body);
  EXPECT_EQ(j["error"]["code"], "invalid_argument");
  EXPECT_EQ(j["error"]["message"], "field 'purpose' is required");
  EXPECT_TRUE(user.log_detail.empty());

  const Reply fault = Reply::FromStatus(Status::IOError("sqlite: /srv/data/catalog.db locked"));
  EXPECT_EQ(fault.status, 500);
  EXPECT_EQ(fault.body.find("/srv/data"), std::string::npos) << fault.body;
  EXPECT_EQ(fault.body.find("sqlite"), std::string::npos) << fault.body;
  EXPECT_NE(fault.log_detail.find("/srv/data"), std::string::npos);
}

TEST(Reply, ErrorJsonSurvivesInvalidUtf8) {
  const std::string body = ErrorJson("invalid_argument", std::string("bad \xff\xfe name"));
  auto j = nlohmann::json::parse(body, nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["error"]["code"], "invalid_argument");
}

class FakeClock {
 public:
  std::chrono::steady_clock::time_point now{};
  void Advance(double seconds) {
    now += std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(seconds));
  }
};

TEST(RateLimiter, BurstThenRefuseThenRefill) {
  FakeClock clock;
  RateLimiter limiter([&clock] { return clock.now; });
  const BucketSpec spec{2, 3};  // 2/s, burst 3
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.Take("k", spec)) << i;
  auto wait = limiter.Take("k", spec);
  ASSERT_TRUE(wait);
  EXPECT_NEAR(*wait, 0.5, 1e-6);
  clock.Advance(0.5);
  EXPECT_FALSE(limiter.Take("k", spec));
  EXPECT_TRUE(limiter.Take("k", spec));
  // Other keys have their own buckets.
  EXPECT_FALSE(limiter.Take("other", spec));
  // Refill never exceeds the burst.
  clock.Advance(100);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.Take("k", spec));
  EXPECT_TRUE(limiter.Take("k", spec));
}

TEST(RateLimiter, PeekTakesNothingAndZeroRateMeansUnlimited) {
  FakeClock clock;
  RateLimiter limiter([&clock] { return clock.now; });
  const BucketSpec spec{1, 1};
  EXPECT_FALSE(limiter.Peek("k", spec));
  EXPECT_FALSE(limiter.Peek("k", spec));
  EXPECT_FALSE(limiter.Take("k", spec));
  EXPECT_TRUE(limiter.Peek("k", spec));
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(limiter.Take("u", BucketSpec{0, 1}));
}

TEST(RateLimiter, ManyDistinctKeysDoNotBreakIt) {
  FakeClock clock;
  RateLimiter limiter([&clock] { return clock.now; });
  for (int i = 0; i < 25'000; ++i) {
    EXPECT_FALSE(limiter.Take("addr" + std::to_string(i), BucketSpec{1, 2}));
    if (i % 5000 == 0) clock.Advance(10);
  }
  EXPECT_FALSE(limiter.Take("late", BucketSpec{1, 2}));
}

Result<Reply> Nop(Services&, const Call&) { return Reply::Json({}); }

TEST(Router, MatchesPatternsAndExtractsParameters) {
  Router r;
  r.Add({"GET", "/api/v1/sources", Access::kRoles, {Role::kAdmin}, true, Nop});
  r.Add({"POST", "/api/v1/sources", Access::kRoles, {Role::kAdmin}, true, Nop});
  r.Add({"GET", "/api/v1/sources/{id}", Access::kRoles, {Role::kAdmin}, true, Nop});
  r.Add({"POST", "/api/v1/sources/{id}/images", Access::kRoles, {Role::kAdmin}, true, Nop});
  r.Add({"GET", "/app/{file}", Access::kPublic, {}, false, Nop});

  auto m = r.Match("GET", "/api/v1/sources/42");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/api/v1/sources/{id}");
  ASSERT_EQ(m.params.size(), 1u);
  EXPECT_EQ(m.params[0], "42");
  EXPECT_EQ(r.Match("POST", "/api/v1/sources/7/images").params.at(0), "7");
  EXPECT_EQ(r.Match("GET", "/app/app.js").params.at(0), "app.js");
  EXPECT_EQ(r.Match("HEAD", "/api/v1/sources").route->method, "GET");

  // Ids are digits only, at most 18 of them.
  EXPECT_EQ(r.Match("GET", "/api/v1/sources/abc").route, nullptr);
  EXPECT_EQ(r.Match("GET", "/api/v1/sources/-1").route, nullptr);
  EXPECT_EQ(r.Match("GET", "/api/v1/sources/1234567890123456789").route, nullptr);
  // No dot segments, no separators, no trailing slash, no extra segments.
  EXPECT_EQ(r.Match("GET", "/app/..").route, nullptr);
  EXPECT_EQ(r.Match("GET", "/app/../etc/passwd").route, nullptr);
  EXPECT_EQ(r.Match("GET", "/app/a%2Fb").route, nullptr);
  EXPECT_EQ(r.Match("GET", "/api/v1/sources/").route, nullptr);
  EXPECT_EQ(r.Match("GET", "/api/v1/sources/1/images/2").route, nullptr);

  // A known path with another method is reported (405), an unknown one is not (404).
  auto wrong = r.Match("DELETE", "/api/v1/sources/1");
  EXPECT_EQ(wrong.route, nullptr);
  EXPECT_TRUE(wrong.path_known);
  EXPECT_FALSE(r.Match("GET", "/nowhere").path_known);
}

TEST(Text, CleanTextIsUtf8WithoutControls) {
  EXPECT_TRUE(IsCleanText("Fallakte 2026/17 – Überprüfung"));
  EXPECT_TRUE(IsCleanText("tab\tok"));
  EXPECT_TRUE(IsCleanText(""));
  EXPECT_FALSE(IsCleanText("line\nbreak"));
  EXPECT_FALSE(IsCleanText(std::string("nul\0x", 5)));
  EXPECT_FALSE(IsCleanText("\x1b[31mred"));
  EXPECT_FALSE(IsCleanText("\xff"));
  EXPECT_FALSE(IsCleanText("\xc0\xaf"));      // overlong '/'
  EXPECT_FALSE(IsCleanText("\xed\xa0\x80"));  // surrogate
  EXPECT_FALSE(IsCleanText("\xe2\x82"));      // truncated
}

TEST(Text, DisplayNameNeverKeepsAPath) {
  EXPECT_EQ(DisplayName("../../etc/passwd"), "passwd");
  EXPECT_EQ(DisplayName("C:\\Users\\x\\photo.jpg"), "photo.jpg");
  EXPECT_EQ(DisplayName(".."), "upload");
  EXPECT_EQ(DisplayName("dir/"), "upload");
  EXPECT_EQ(DisplayName(""), "upload");
  EXPECT_EQ(DisplayName("a\nb\x01.jpg"), "ab.jpg");
  EXPECT_EQ(DisplayName(std::string(1000, 'x')).size(), 200u);
}

httplib::Request Multipart(std::initializer_list<httplib::MultipartFormData> parts) {
  httplib::Request req;
  req.set_header("Content-Type", "multipart/form-data; boundary=x");
  for (const auto& p : parts) req.files.emplace(p.name, p);
  return req;
}

TEST(Form, RequiredOptionalAndNumbers) {
  auto req = Multipart({{"purpose", "find the suspect", "", ""},
                        {"blank", "   ", "", ""},
                        {"top_k", "5", "", ""},
                        {"bad_k", "5x", "", ""},
                        {"score", "0.5", "", ""},
                        {"flag", "on", "", ""},
                        {"image", "bytes", "a.jpg", "image/jpeg"},
                        {"dup", "1", "", ""},
                        {"dup", "2", "", ""}});
  auto form = Form::Of(req);
  ASSERT_TRUE(form.ok());
  EXPECT_EQ(*form->Text("purpose"), "find the suspect");
  EXPECT_EQ(form->Text("blank").status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(form->Text("case_ref").status().message().find("'case_ref' is required"),
            std::string::npos);
  EXPECT_EQ(*form->OptionalText("case_ref"), "");
  EXPECT_EQ(*form->Int("top_k", 10, 1, 100), 5);
  EXPECT_EQ(*form->Int("missing", 10, 1, 100), 10);
  EXPECT_FALSE(form->Int("bad_k", 10, 1, 100).ok());
  EXPECT_FALSE(form->Int("top_k", 10, 6, 100).ok());
  EXPECT_FLOAT_EQ(*form->Float("score", 0, -1, 1), 0.5f);
  EXPECT_TRUE(*form->Bool("flag", false));
  EXPECT_TRUE(form->File("image").ok());
  EXPECT_FALSE(form->Text("image").ok());  // a file is not a text field
  EXPECT_FALSE(form->Text("dup").ok());    // given twice
  EXPECT_EQ(form->Files("dup").size(), 2u);

  httplib::Request plain;
  plain.set_header("Content-Type", "application/json");
  EXPECT_EQ(Form::Of(plain).status().code(), StatusCode::kInvalidArgument);
}

httplib::Request JsonRequest(std::string body, std::string type = "application/json") {
  httplib::Request req;
  req.set_header("Content-Type", type);
  req.body = std::move(body);
  return req;
}

TEST(Form, JsonBodies) {
  EXPECT_TRUE(JsonObjectBody(JsonRequest(R"({"name":"x"})"), 1000).ok());
  EXPECT_TRUE(
      JsonObjectBody(JsonRequest(R"({"n":"x"})", "application/json; charset=utf-8"), 100).ok());
  EXPECT_EQ(JsonObjectBody(JsonRequest(R"({"name":)"), 1000).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(JsonObjectBody(JsonRequest("[1,2]"), 1000).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(JsonObjectBody(JsonRequest("{}", "text/plain"), 1000).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(JsonObjectBody(JsonRequest(std::string(2000, ' ') + "{}"), 1000).status().code(),
            StatusCode::kResourceExhausted);
  // A bracket bomb is refused before parsing; brackets inside strings do not count.
  EXPECT_EQ(JsonObjectBody(JsonRequest(std::string(5000, '[')), 100000).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(JsonObjectBody(JsonRequest(R"({"a":"[[[[[[[[[[[[[[[["})"), 1000).ok());

  auto j = nlohmann::json::parse(R"({"s":"ok","n":3,"ctl":"a\nb"})");
  EXPECT_EQ(*JsonText(j, "s", true), "ok");
  EXPECT_EQ(*JsonText(j, "absent", false), "");
  EXPECT_FALSE(JsonText(j, "absent", true).ok());
  EXPECT_FALSE(JsonText(j, "n", false).ok());
  EXPECT_FALSE(JsonText(j, "ctl", false).ok());
  EXPECT_FALSE(JsonText(j, "s", true, 1).ok());
}

TEST(Auth, BearerTokens) {
  httplib::Request req;
  EXPECT_FALSE(BearerToken(req));
  req.set_header("Authorization", "Bearer lk_abc");
  EXPECT_EQ(*BearerToken(req), "lk_abc");
  httplib::Request lower;
  lower.set_header("Authorization", "bearer   lk_abc  ");
  EXPECT_EQ(*BearerToken(lower), "lk_abc");
  httplib::Request basic;
  basic.set_header("Authorization", "Basic dXNlcjpwYXNz");
  EXPECT_FALSE(BearerToken(basic));
  httplib::Request empty;
  empty.set_header("Authorization", "Bearer ");
  EXPECT_FALSE(BearerToken(empty));
}

TEST(ApiKeys, CreateAuthenticateListRevoke) {
  likeness::testing::TempDir dir;
  auto store = ApiKeyStore::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto made = (*store)->Create("alice", Role::kSearch, "");
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_EQ(made->key.size(), 46u);
  EXPECT_EQ(made->key.rfind("lk_", 0), 0u);
  EXPECT_EQ(made->info.tenant, "default");

  auto who = (*store)->Authenticate(made->key);
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(who->name, "alice");
  EXPECT_EQ(who->role, Role::kSearch);

  // Wrong, truncated and malformed keys get one and the same refusal.
  std::string wrong = made->key;
  wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
  for (const std::string& k : {wrong, made->key.substr(0, 45), std::string("lk_"), std::string(""),
                               made->key + "x", std::string(46, 'x')}) {
    auto r = (*store)->Authenticate(k);
    EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << k;
    EXPECT_EQ(r.status().message(), "unknown or revoked API key");
  }

  EXPECT_EQ((*store)->Create("alice", Role::kAdmin, "").status().code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ((*store)->Create("bad name", Role::kAdmin, "").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ((*store)->Create("bob", Role::kAdmin, "../t").status().code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE((*store)->Create("bob", Role::kAdmin, "org-2").ok());
  EXPECT_TRUE(*(*store)->HasActiveKeyWithRole(Role::kAdmin));
  EXPECT_FALSE(*(*store)->HasActiveKeyWithRole(Role::kAuditor));

  ASSERT_TRUE((*store)->Revoke("alice").ok());
  EXPECT_EQ((*store)->Authenticate(made->key).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ((*store)->Revoke("alice").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ((*store)->Revoke("nobody").code(), StatusCode::kNotFound);
  // A revoked key's name is never reused.
  EXPECT_EQ((*store)->Create("alice", Role::kSearch, "").status().code(),
            StatusCode::kAlreadyExists);

  auto all = (*store)->List();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "alice");
  EXPECT_FALSE((*all)[0].revoked_at.empty());
  EXPECT_EQ((*all)[1].tenant, "org-2");
}

TEST(ApiKeys, OnlyAKeyedHashIsStoredAndTheHashKeyIsPrivate) {
  likeness::testing::TempDir dir;
  std::string key;
  {
    auto store = ApiKeyStore::Open(dir.path());
    ASSERT_TRUE(store.ok());
    auto made = (*store)->Create("carol", Role::kAuditor, "");
    ASSERT_TRUE(made.ok());
    key = made->key;
  }
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    EXPECT_EQ(s.str().find(key), std::string::npos) << entry.path();
    EXPECT_EQ(s.str().find(key.substr(3)), std::string::npos) << entry.path();
  }
  struct stat st {};
  ASSERT_EQ(::stat((dir.path() / "api_keys.secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // Reopening (another process, the CLI) authenticates the same key.
  auto again = ApiKeyStore::Open(dir.path());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE((*again)->Authenticate(key).ok());
}

TEST(ApiKeys, AReadableHashKeyIsRefused) {
  likeness::testing::TempDir dir;
  ASSERT_TRUE(ApiKeyStore::Open(dir.path()).ok());
  fs::permissions(dir.path() / "api_keys.secret",
                  fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  EXPECT_EQ(ApiKeyStore::Open(dir.path()).status().code(), StatusCode::kPermissionDenied);
}

TEST(Metrics, RendersPrometheusText) {
  Metrics m;
  m.ObserveRequest("POST", "/api/v1/search", 200, 0.2);
  m.ObserveRequest("POST", "/api/v1/search", 200, 3);
  m.ObserveRequest("GET", "unmatched", 404, 0.001);
  m.AddIngest(3, 10, 1, 2);
  m.AddRateLimited("key");
  MetricsGauges g;
  g.faces_indexed = 42;
  const std::string text = m.Render(g);
  EXPECT_NE(text.find("likeness_http_requests_total{method=\"POST\",route=\"/api/v1/search\","
                      "status=\"200\"} 2"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("likeness_http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/"
                      "v1/search\",le=\"0.25\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("le=\"+Inf\"} 2"), std::string::npos);
  EXPECT_NE(text.find("likeness_ingest_images_total 3"), std::string::npos);
  EXPECT_NE(text.find("likeness_rate_limited_total{scope=\"key\"} 1"), std::string::npos);
  EXPECT_NE(text.find("likeness_faces_indexed 42"), std::string::npos);
  EXPECT_NE(text.find("# TYPE likeness_http_request_duration_seconds histogram"),
            std::string::npos);
}

}  // namespace
}  // namespace likeness::server
