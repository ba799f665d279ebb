// Who is calling, as far as rate limits are concerned (docs/PRIVACY.md, "Public self-check: threat
// model"):
//  - the peer address of the connection, unless it is one of ServerOptions::trusted_proxies: then
//    the right-most X-Forwarded-For entry that is not itself a trusted proxy (what the last
//    trusted hop saw). Without trusted proxies X-Forwarded-For is never believed, so a caller
//    cannot pick their own bucket by sending the header;
//  - an IPv6 address counts as its /64 (one subscriber usually holds a whole /64 and can rotate
//    through it at will); an IPv4-mapped IPv6 address counts as the IPv4 address.
// Pure functions; thread safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace httplib {
struct Request;
}

namespace likeness::server {

// The rate-limit identity of `address`: "v4:a.b.c.d", "v6:xxxx:xxxx:xxxx:xxxx::/64", or
// "other:<text>" for anything that does not parse as an IP address.
std::string AddressBucket(std::string_view address);

// The client address of `request` (see above), before bucketing.
std::string ClientAddress(const httplib::Request& request,
                          const std::vector<std::string>& trusted_proxies);

// AddressBucket(ClientAddress(...)).
std::string ClientBucket(const httplib::Request& request,
                         const std::vector<std::string>& trusted_proxies);

}  // namespace likeness::server
