// Attack: a search key builds an offline copy of the catalog's photos and faces by walking
// GET /api/v1/images/{id} and /api/v1/faces/{id}/crop. It presents no token, another key's token,
// a token for another id, a tampered token, an expired token and a token from before a restart.
// Claim (docs/PRIVACY.md, "Purpose-bound access to faces and photos"): no image byte is served
// without the token a purpose-bound, audited search returned for exactly that item to exactly that
// key; the refusals are identical for every id; every served read is in `audit show` under the
// search's case.
#include <chrono>
#include <thread>

#include "access_fixture.h"

namespace likeness::server::testing {
namespace {

class MediaWalkAttack : public AccessRedTeam {};

// The path and the token of a tokened media URL.
std::pair<std::string, std::string> SplitToken(const std::string& url) {
  const size_t q = url.find("?token=");
  if (q == std::string::npos) return {url, ""};
  return {url.substr(0, q), url.substr(q + 7)};
}

TEST_F(MediaWalkAttack, NoTokenNoForeignTokenNoExpiredTokenGetsNoImageByte) {
  const Held press = Upload(kOperator, "walk-press", {2, 3, 4});
  ASSERT_FALSE(press.images.empty());
  auto c = Client();

  // The legitimate path: a search returns its matches with tokened media URLs.
  auto search = Search(kOperator, Role::kSearch, 1, "RT-WALK-1");
  ASSERT_TRUE(search);
  ASSERT_EQ(search->status, 200) << search->body;
  const nlohmann::json result = Json(search);
  const auto urls = MediaUrls(result);
  ASSERT_FALSE(urls.empty()) << "sample1's largest face is held (sample3): expected a match";
  for (const auto& url : urls) {
    EXPECT_NE(url.find("?token="), std::string::npos) << url;
    // The token names nothing: no key name, no case, no purpose.
    EXPECT_EQ(url.find("search"), std::string::npos) << url;
    EXPECT_EQ(url.find("RT-WALK"), std::string::npos) << url;
  }
  int served = 0;
  for (const auto& url : urls) {
    auto r = c->Get(url, Auth(kOperator, Role::kSearch));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << url << " " << r->body;
    EXPECT_TRUE(LooksLikeImage(r->body)) << url;
    served += r->status == 200 ? 1 : 0;
  }

  // Attack 1: walk every id (and beyond) with no token, as every role that may see faces.
  const int64_t max_image = *press.images.rbegin() + 5, max_face = *press.faces.rbegin() + 5;
  for (Role role : {Role::kSearch, Role::kPrivacy, Role::kAdmin}) {
    std::set<std::string> image_bodies, crop_bodies;
    for (int64_t id = 1; id <= max_image; ++id) {
      auto r = c->Get("/api/v1/images/" + std::to_string(id), Auth(kOperator, role));
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, 403) << id;
      EXPECT_FALSE(LooksLikeImage(r->body));
      image_bodies.insert(r->body);
    }
    for (int64_t id = 1; id <= max_face; ++id) {
      auto r = c->Get("/api/v1/faces/" + std::to_string(id) + "/crop", Auth(kOperator, role));
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, 403) << id;
      EXPECT_FALSE(LooksLikeImage(r->body));
      crop_bodies.insert(r->body);
    }
    // Held or not, the refusal is the same bytes: the walk learns not even which ids exist.
    EXPECT_EQ(image_bodies.size(), 1u);
    EXPECT_EQ(crop_bodies.size(), 1u);
  }

  for (const auto& url : urls) {
    const auto [path, token] = SplitToken(url);
    // Attack 2: another key (same tenant, same role) replays the searcher's token.
    auto other = c->Get(url, Auth(kOperator, Role::kAdmin));
    ASSERT_TRUE(other);
    EXPECT_EQ(other->status, 403) << url;
    EXPECT_FALSE(LooksLikeImage(other->body));
    // Attack 3: the token on the neighbouring ids.
    const size_t slash = path.find_first_of("0123456789", std::string_view("/api/v1/").size());
    const size_t end = path.find_first_not_of("0123456789", slash);
    const int64_t id = std::stoll(path.substr(slash, end - slash));
    for (int64_t other_id : {id - 1, id + 1}) {
      const std::string moved = path.substr(0, slash) + std::to_string(other_id) +
                                (end == std::string::npos ? "" : path.substr(end));
      auto r = c->Get(moved + "?token=" + token, Auth(kOperator, Role::kSearch));
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, 403) << moved;
      EXPECT_FALSE(LooksLikeImage(r->body));
    }
    // Attack 4: a tampered token (a later expiry, a flipped MAC digit).
    const size_t dot = token.find('.');
    const size_t dot2 = token.find('.', dot + 1);
    const std::string later =
        token.substr(0, dot + 1) +
        std::to_string(std::stoll(token.substr(dot + 1, dot2 - dot - 1)) + 86400) +
        token.substr(dot2);
    std::string flipped = token;
    flipped.back() = flipped.back() == '0' ? '1' : '0';
    for (const auto& bad : {later, flipped, std::string("1.99999999999.00"), std::string()}) {
      auto r = c->Get(path + "?token=" + bad, Auth(kOperator, Role::kSearch));
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, 403) << bad;
      EXPECT_FALSE(LooksLikeImage(r->body));
    }
  }

  // Every served read is on record under the search's case, with the search that granted it.
  const nlohmann::json entries = AuditShow("RT-WALK-1");
  int media = 0, searches = 0;
  for (const auto& e : entries) {
    if (e["action"] == "search") ++searches;
    if (e["action"] == "media") {
      ++media;
      EXPECT_EQ(e["operator"], "default-search");
      EXPECT_EQ(e["purpose"], "red-team access test");
    }
  }
  EXPECT_EQ(searches, 1);
  EXPECT_EQ(media, served);
}

TEST_F(MediaWalkAttack, ExpiredTokensAndTokensOfAnotherServerProcessOpenNothing) {
  Upload(kOperator, "expiry-press", {3});
  // A second server over the same data folder: its own random secret, tokens of one second.
  ServerOptions so;
  so.media_token_ttl = std::chrono::seconds(1);
  TestServer short_lived(Engine(), so);
  ASSERT_TRUE(short_lived.ok());
  const std::string key = Key(kOperator, Role::kSearch);
  const httplib::Headers auth = {{"Authorization", "Bearer " + key}};
  auto c2 = short_lived.Client();
  auto search = c2->Post("/api/v1/search", auth,
                         JustifiedCase({FilePart("image", ReadFile(DemoPhoto(1)))}, "RT-EXPIRY"));
  ASSERT_TRUE(search);
  ASSERT_EQ(search->status, 200) << search->body;
  const auto urls = MediaUrls(Json(search));
  ASSERT_FALSE(urls.empty());
  // The other server process never issued these tokens: they open nothing there.
  auto c1 = Client();
  for (const auto& url : urls) {
    auto r = c1->Get(url, auth);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403);
    EXPECT_FALSE(LooksLikeImage(r->body));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(2200));
  for (const auto& url : urls) {
    auto r = c2->Get(url, auth);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403) << url;
    EXPECT_FALSE(LooksLikeImage(r->body));
    EXPECT_NE(r->body.find("expired"), std::string::npos) << r->body;
  }
  // Nothing was served, so the case holds the search and no media read.
  for (const auto& e : AuditShow("RT-EXPIRY")) EXPECT_NE(e["action"], "media");
}

}  // namespace
}  // namespace likeness::server::testing
