// Roles an API key can hold, and sets of them (which roles a route admits).
//
// admin      everything an operator of this instance may do, including all of the below
// ingest     declares sources and uploads photos into them
// search     the investigator: 1:N search, 1:1 verify, face detection, result images
// auditor    reads the audit trail and statistics; never sees faces
// privacy    the privacy officer: erasure, subject access, opt-out (routes to come), result images
// selfcheck  the public self-check kiosk: only its own routes (/api/v1/selfcheck/*), strictly
//            rate limited
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "likeness/status.h"

namespace likeness::server {

enum class Role : uint8_t { kAdmin, kIngest, kSearch, kAuditor, kPrivacy, kSelfCheck };

inline constexpr std::array<Role, 6> kAllRoles = {Role::kAdmin,   Role::kIngest,  Role::kSearch,
                                                  Role::kAuditor, Role::kPrivacy, Role::kSelfCheck};

// "admin", "ingest", "search", "auditor", "privacy", "selfcheck".
std::string_view RoleName(Role role);
// Inverse of RoleName, any case; also accepts "investigator" (search), "privacy-officer" and
// "privacy_officer" (privacy), "self-check" (selfcheck). InvalidArgument names the valid roles.
Result<Role> ParseRole(std::string_view text);

// A set of roles, as a bit mask. Cheap to copy.
class RoleSet {
 public:
  constexpr RoleSet() = default;
  constexpr RoleSet(std::initializer_list<Role> roles) {
    for (Role r : roles) bits_ |= Bit(r);
  }
  constexpr bool Contains(Role role) const { return (bits_ & Bit(role)) != 0; }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr bool operator==(const RoleSet&) const = default;
  // Role names in kAllRoles order, comma separated ("admin,search").
  std::string ToString() const;

 private:
  static constexpr uint32_t Bit(Role r) { return 1u << static_cast<uint32_t>(r); }
  uint32_t bits_ = 0;
};

}  // namespace likeness::server
