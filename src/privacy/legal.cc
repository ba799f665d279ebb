#include "privacy/legal.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>

namespace likeness::privacy {
namespace {

// ISO 3166-1 alpha-2, officially assigned codes (249), sorted. Checked against the ISO 3166
// Maintenance Agency list as shipped by Debian's iso-codes 4.15. Update here when ISO assigns or
// withdraws a code.
constexpr std::array<std::string_view, 249> kAssignedCountryCodes = {
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
};

// Codes people type that ISO has not assigned, with the assigned code they most likely mean.
struct CountryHint {
  std::string_view typed;
  std::string_view meant;
};
constexpr std::array<CountryHint, 2> kCountryHints = {{{"UK", "GB"}, {"EL", "GR"}}};

constexpr std::array<LegalBasisInfo, 6> kArt6 = {{
    {"art6-1-a", "consent"},
    {"art6-1-b", "contract"},
    {"art6-1-c", "legal obligation"},
    {"art6-1-d", "vital interests"},
    {"art6-1-e", "public task"},
    {"art6-1-f", "legitimate interests"},
}};

constexpr std::array<LegalBasisInfo, 10> kArt9 = {{
    {"art9-2-a", "explicit consent"},
    {"art9-2-b", "employment, social security and social protection law"},
    {"art9-2-c", "vital interests"},
    {"art9-2-d", "not-for-profit bodies"},
    {"art9-2-e", "manifestly made public by the data subject"},
    {"art9-2-f", "legal claims or judicial acts"},
    {"art9-2-g", "substantial public interest"},
    {"art9-2-h", "health or social care"},
    {"art9-2-i", "public health"},
    {"art9-2-j", "archiving, scientific or historical research, or statistics"},
}};

struct Alias {
  std::string_view alias;
  std::string_view code;
};

constexpr std::array<Alias, 8> kArt6Aliases = {{
    {"consent", "art6-1-a"},
    {"contract", "art6-1-b"},
    {"legal-obligation", "art6-1-c"},
    {"vital-interests", "art6-1-d"},
    {"public-task", "art6-1-e"},
    {"official-authority", "art6-1-e"},
    {"legitimate-interests", "art6-1-f"},
    {"legitimate-interest", "art6-1-f"},
}};

constexpr std::array<Alias, 18> kArt9Aliases = {{
    {"explicit-consent", "art9-2-a"},
    {"employment", "art9-2-b"},
    {"social-security", "art9-2-b"},
    {"vital-interests", "art9-2-c"},
    {"not-for-profit", "art9-2-d"},
    {"not-for-profit-bodies", "art9-2-d"},
    {"made-public", "art9-2-e"},
    {"manifestly-made-public", "art9-2-e"},
    {"legal-claims", "art9-2-f"},
    {"substantial-public-interest", "art9-2-g"},
    {"health-care", "art9-2-h"},
    {"social-care", "art9-2-h"},
    {"health-or-social-care", "art9-2-h"},
    {"public-health", "art9-2-i"},
    {"archiving", "art9-2-j"},
    {"research", "art9-2-j"},
    {"statistics", "art9-2-j"},
    {"archiving-research-statistics", "art9-2-j"},
}};

// Lower case, '_' and ' ' become '-', surrounding blanks dropped.
std::string Canonical(std::string_view input) {
  while (!input.empty() && std::isspace(static_cast<unsigned char>(input.front())))
    input.remove_prefix(1);
  while (!input.empty() && std::isspace(static_cast<unsigned char>(input.back())))
    input.remove_suffix(1);
  std::string out;
  out.reserve(input.size());
  for (char c : input) {
    if (c == '_' || c == ' ') {
      out.push_back('-');
    } else {
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
  }
  return out;
}

template <size_t N, size_t M>
Result<LegalBasisInfo> Lookup(std::string_view input, const std::array<LegalBasisInfo, N>& table,
                              const std::array<Alias, M>& aliases, std::string_view what) {
  const std::string key = Canonical(input);
  std::string_view code = key;
  for (const Alias& a : aliases) {
    if (a.alias == key) code = a.code;
  }
  for (const LegalBasisInfo& info : table) {
    if (info.code == code) return info;
  }
  std::string valid;
  for (const LegalBasisInfo& info : table) {
    valid +=
        (valid.empty() ? "" : ", ") + std::string(info.code) + " (" + std::string(info.name) + ")";
  }
  return Status::InvalidArgument("unknown " + std::string(what) + " \"" + std::string(input) +
                                 "\"; expected one of: " + valid);
}

bool AllDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int ToInt(std::string_view digits) {
  int v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return v;
}

}  // namespace

bool IsAssignedCountryCode(std::string_view code) {
  return std::binary_search(kAssignedCountryCodes.begin(), kAssignedCountryCodes.end(), code);
}

Result<std::string> NormalizeCountryCode(std::string_view input) {
  std::string upper(input);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (IsAssignedCountryCode(upper)) return upper;
  std::string message =
      "\"" + std::string(input) + "\" is not an assigned ISO 3166-1 alpha-2 country code";
  for (const CountryHint& h : kCountryHints) {
    if (h.typed == upper) message += " (did you mean \"" + std::string(h.meant) + "\"?)";
  }
  return Status::InvalidArgument(message);
}

std::span<const LegalBasisInfo> Art6LegalBases() { return kArt6; }
std::span<const LegalBasisInfo> Art9Conditions() { return kArt9; }

Result<LegalBasisInfo> LookupLegalBasis(std::string_view input) {
  return Lookup(input, kArt6, kArt6Aliases, "GDPR Art. 6(1) legal basis");
}

Result<std::string> NormalizeLegalBasis(std::string_view input) {
  ASSIGN_OR_RETURN(const LegalBasisInfo info, LookupLegalBasis(input));
  return std::string(info.code);
}

Result<LegalBasisInfo> LookupArt9Condition(std::string_view input) {
  return Lookup(input, kArt9, kArt9Aliases, "GDPR Art. 9(2) condition");
}

Result<std::string> NormalizeArt9Condition(std::string_view input) {
  ASSIGN_OR_RETURN(const LegalBasisInfo info, LookupArt9Condition(input));
  return std::string(info.code);
}

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int year, int month) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && IsLeapYear(year)) return 29;
  return kDays[static_cast<size_t>(month - 1)];
}

Result<Date> ParseDate(std::string_view text) {
  const auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("invalid date \"" + std::string(text) + "\": " + why);
  };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !AllDigits(text.substr(0, 4)) ||
      !AllDigits(text.substr(5, 2)) || !AllDigits(text.substr(8, 2))) {
    return bad("expected YYYY-MM-DD, e.g. 2026-03-31");
  }
  Date d{ToInt(text.substr(0, 4)), ToInt(text.substr(5, 2)), ToInt(text.substr(8, 2))};
  if (d.year < 1) return bad("year must be 0001 or later");
  if (d.month < 1 || d.month > 12) return bad("month must be 01..12");
  const int days = DaysInMonth(d.year, d.month);
  if (d.day < 1 || d.day > days) {
    std::string why = "day must be 01.." + std::to_string(days) + " in that month";
    if (d.month == 2 && d.day == 29) why = std::to_string(d.year) + " is not a leap year";
    return bad(why);
  }
  return d;
}

std::string FormatDate(const Date& date) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d", date.year, date.month, date.day);
  return buf;
}

}  // namespace likeness::privacy
