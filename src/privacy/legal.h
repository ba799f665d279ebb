// Validation of the legal facts attached to sources and searches: jurisdiction (ISO 3166-1
// alpha-2), GDPR Art. 6(1) legal basis, GDPR Art. 9(2) condition for special-category (biometric)
// data, and calendar dates (retention limits).
//
// All functions are pure and thread safe. Errors are InvalidArgument with a message meant for the
// operator who typed the value.
#pragma once

#include <compare>
#include <span>
#include <string>
#include <string_view>

#include "likeness/status.h"

namespace likeness::privacy {

// --- Jurisdiction
// -------------------------------------------------------------------------------------

// True when `code` is one of the 249 officially assigned ISO 3166-1 alpha-2 codes (exact, upper
// case). Reserved and user-assigned codes (UK, EU, EL, XK, ...) are not assigned and return false.
bool IsAssignedCountryCode(std::string_view code);

// Accepts an assigned code in either case and returns it upper-cased ("de" -> "DE"). Common
// mistakes get a hint ("UK" -> use "GB", "EL" -> use "GR").
Result<std::string> NormalizeCountryCode(std::string_view input);

// --- GDPR legal bases
// ---------------------------------------------------------------------------------

struct LegalBasisInfo {
  std::string_view code;  // "art6-1-a" .. "art6-1-f" or "art9-2-a" .. "art9-2-j"
  std::string_view name;  // human name, e.g. "public task"
};

// The six Art. 6(1) bases, a..f, in order.
std::span<const LegalBasisInfo> Art6LegalBases();
// The ten Art. 9(2) conditions, a..j, in order.
std::span<const LegalBasisInfo> Art9Conditions();

// Looks up an Art. 6(1) basis by code ("art6-1-e", any case) or alias ("public-task", "consent",
// "contract", "legal-obligation", "vital-interests", "legitimate-interests"; '_' and ' ' count as
// '-').
Result<LegalBasisInfo> LookupLegalBasis(std::string_view input);
// As LookupLegalBasis, returning only the normalised code.
Result<std::string> NormalizeLegalBasis(std::string_view input);

// Looks up an Art. 9(2) condition by code ("art9-2-g") or alias ("explicit-consent", "employment",
// "vital-interests", "not-for-profit", "made-public", "legal-claims",
// "substantial-public-interest", "health-care", "public-health", "archiving", "research", ...).
Result<LegalBasisInfo> LookupArt9Condition(std::string_view input);
Result<std::string> NormalizeArt9Condition(std::string_view input);

// --- Dates
// --------------------------------------------------------------------------------------------

// A proleptic Gregorian calendar date; ordered chronologically.
struct Date {
  int year = 0;   // 1..9999
  int month = 0;  // 1..12
  int day = 0;    // 1..DaysInMonth(year, month)
  auto operator<=>(const Date&) const = default;
};

bool IsLeapYear(int year);
// REQUIRES: 1 <= month <= 12.
int DaysInMonth(int year, int month);

// Parses exactly "YYYY-MM-DD" (ten characters, digits and dashes) naming a real date: "2024-02-29"
// is accepted, "2023-02-29", "2026-13-01", "2026-4-1" and "2026-04-31" are InvalidArgument.
Result<Date> ParseDate(std::string_view text);
// "YYYY-MM-DD". REQUIRES: the date is valid.
std::string FormatDate(const Date& date);

}  // namespace likeness::privacy
