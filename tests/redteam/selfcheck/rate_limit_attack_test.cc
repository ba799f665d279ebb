// Attack: get around the self-check's rate limits with many addresses (docs/PRIVACY.md, "Public
// self-check: threat model"). Claims tested:
//  - an IPv6 /64 is one address: rotating through it does not refill the bucket;
//  - X-Forwarded-For is believed only from a configured trusted proxy, and then only the hop the
//    proxy saw (entries the client wrote to the left are ignored);
//  - per kiosk key, and a hard daily cap per kiosk key, whatever the addresses;
//  - a hard cap on challenges per address per hour, whatever the bucket allows.
#include <gtest/gtest.h>

#include "integration/server/server_fixture.h"
#include "server/client_address.h"

namespace likeness::server::testing {
namespace {

class RateLimitAttack : public ServerTest {
 protected:
  static int Challenge(httplib::Client& c, httplib::Headers auth, const std::string& xff = "") {
    if (!xff.empty()) auth.emplace("X-Forwarded-For", xff);
    auto r = c.Post("/api/v1/selfcheck/challenge", auth, "", "application/json");
    EXPECT_TRUE(r);
    return r ? r->status : 0;
  }
  // Options with every self-check limit out of the way but the one under test.
  static ServerOptions Open() {
    ServerOptions o;
    o.selfcheck_per_address = {0, 0};
    o.selfcheck_per_key = {0, 0};
    o.selfcheck_challenges_per_address_hour = 0;
    o.selfcheck_daily_cap_per_key = 0;
    return o;
  }
};

TEST(ClientAddress, AnIpv6Slash64IsOneAddressAndMappedIpv4IsIpv4) {
  EXPECT_EQ(AddressBucket("2001:db8:1:2::1"), AddressBucket("2001:db8:1:2:ffff:ffff:ffff:fffe"));
  EXPECT_NE(AddressBucket("2001:db8:1:2::1"), AddressBucket("2001:db8:1:3::1"));
  EXPECT_EQ(AddressBucket("::ffff:192.0.2.7"), AddressBucket("192.0.2.7"));
  EXPECT_NE(AddressBucket("192.0.2.7"), AddressBucket("192.0.2.8"));
  EXPECT_EQ(AddressBucket("[2001:db8::5]:443"), AddressBucket("2001:db8::9"));
}

TEST_F(RateLimitAttack, RotatingThroughAnIpv6Slash64DoesNotHelp) {
  ServerOptions o = Open();
  o.trusted_proxies = {"127.0.0.1"};  // the test client plays the TLS proxy
  o.selfcheck_per_address = {0.001, 3};
  TestServer s(Engine(), o);
  auto c = s.Client();
  const auto auth = s.Auth(Role::kSelfCheck);
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(Challenge(*c, auth, "2001:db8:aa:bb::" + std::to_string(i)), 201);
  }
  EXPECT_EQ(Challenge(*c, auth, "2001:db8:aa:bb:1234:5678:9abc:def0"), 429);
  EXPECT_EQ(Challenge(*c, auth, "2001:db8:aa:bc::1"), 201) << "another /64 is another subscriber";
}

TEST_F(RateLimitAttack, XForwardedForIsIgnoredWithoutATrustedProxy) {
  ServerOptions o = Open();
  o.selfcheck_per_address = {0.001, 3};
  TestServer s(Engine(), o);
  auto c = s.Client();
  const auto auth = s.Auth(Role::kSelfCheck);
  for (int i = 1; i <= 3; ++i)
    EXPECT_EQ(Challenge(*c, auth, "198.51.100." + std::to_string(i)), 201);
  EXPECT_EQ(Challenge(*c, auth, "198.51.100.99"), 429) << "a forged X-Forwarded-For chose a bucket";
}

TEST_F(RateLimitAttack, BehindATrustedProxyOnlyTheHopItSawCounts) {
  ServerOptions o = Open();
  o.trusted_proxies = {"127.0.0.1"};
  o.selfcheck_per_address = {0.001, 3};
  TestServer s(Engine(), o);
  auto c = s.Client();
  const auto auth = s.Auth(Role::kSelfCheck);
  // The client writes its own X-Forwarded-For; the proxy appends the address it saw.
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(Challenge(*c, auth, "10.9.9." + std::to_string(i) + ", 203.0.113.5"), 201);
  }
  EXPECT_EQ(Challenge(*c, auth, "10.9.9.77, 203.0.113.5"), 429);
  EXPECT_EQ(Challenge(*c, auth, "203.0.113.6"), 201);
}

TEST_F(RateLimitAttack, TheKioskKeyHasItsOwnBucketAndADailyCapWhateverTheAddresses) {
  ServerOptions o = Open();
  o.trusted_proxies = {"127.0.0.1"};
  o.selfcheck_daily_cap_per_key = 5;
  TestServer s(Engine(), o);
  auto c = s.Client();
  const auto auth = s.Auth(Role::kSelfCheck);
  for (int i = 1; i <= 5; ++i) EXPECT_EQ(Challenge(*c, auth, "192.0.2." + std::to_string(i)), 201);
  EXPECT_EQ(Challenge(*c, auth, "192.0.2.200"), 429) << "the daily cap per kiosk key";

  ServerOptions burst = Open();
  burst.trusted_proxies = {"127.0.0.1"};
  burst.selfcheck_per_key = {0.001, 4};
  TestServer t(Engine(), burst);
  auto d = t.Client();
  const auto auth2 = t.Auth(Role::kSelfCheck);
  for (int i = 1; i <= 4; ++i) EXPECT_EQ(Challenge(*d, auth2, "192.0.2." + std::to_string(i)), 201);
  EXPECT_EQ(Challenge(*d, auth2, "192.0.2.201"), 429) << "the per-key bucket";
}

TEST_F(RateLimitAttack, AnAddressGetsAtMostNChallengesAnHour) {
  ServerOptions o = Open();
  o.selfcheck_challenges_per_address_hour = 4;
  TestServer s(Engine(), o);
  auto c = s.Client();
  const auto auth = s.Auth(Role::kSelfCheck);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(Challenge(*c, auth), 201);
  auto r = c->Post("/api/v1/selfcheck/challenge", auth, "", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  EXPECT_GT(std::stoi(r->get_header_value("Retry-After")), 0);
}

}  // namespace
}  // namespace likeness::server::testing
