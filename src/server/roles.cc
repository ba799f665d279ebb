#include "server/roles.h"

#include <algorithm>
#include <cctype>

namespace likeness::server {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kIngest:
      return "ingest";
    case Role::kSearch:
      return "search";
    case Role::kAuditor:
      return "auditor";
    case Role::kPrivacy:
      return "privacy";
    case Role::kSelfCheck:
      return "selfcheck";
  }
  return "unknown";
}

Result<Role> ParseRole(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (Role r : kAllRoles) {
    if (lower == RoleName(r)) return r;
  }
  if (lower == "investigator") return Role::kSearch;
  if (lower == "privacy-officer" || lower == "privacy_officer") return Role::kPrivacy;
  if (lower == "self-check" || lower == "self_check") return Role::kSelfCheck;
  return Status::InvalidArgument("unknown role '" + std::string(text) +
                                 "' (one of: admin, ingest, search, auditor, privacy, selfcheck)");
}

std::string RoleSet::ToString() const {
  std::string out;
  for (Role r : kAllRoles) {
    if (!Contains(r)) continue;
    if (!out.empty()) out += ',';
    out += RoleName(r);
  }
  return out;
}

}  // namespace likeness::server
