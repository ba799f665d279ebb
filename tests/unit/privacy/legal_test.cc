#include "privacy/legal.h"

#include <gtest/gtest.h>

#include <string>

namespace likeness::privacy {
namespace {

TEST(CountryCodeTest, AcceptsAssignedCodesInEitherCase) {
  for (const char* code : {"DE", "FR", "GB", "US", "AX", "SS", "BQ", "CW", "SX", "ZW", "AD"}) {
    EXPECT_TRUE(IsAssignedCountryCode(code)) << code;
    Result<std::string> n = NormalizeCountryCode(code);
    ASSERT_TRUE(n.ok()) << code << ": " << n.status().ToString();
    EXPECT_EQ(*n, code);
  }
  EXPECT_EQ(*NormalizeCountryCode("de"), "DE");
  EXPECT_EQ(*NormalizeCountryCode("gB"), "GB");
}

TEST(CountryCodeTest, ExactlyTheOfficiallyAssignedCodes) {
  int assigned = 0;
  for (char a = 'A'; a <= 'Z'; ++a) {
    for (char b = 'A'; b <= 'Z'; ++b) assigned += IsAssignedCountryCode(std::string{a, b}) ? 1 : 0;
  }
  EXPECT_EQ(assigned, 249);
}

TEST(CountryCodeTest, RejectsReservedUserAssignedAndMalformed) {
  for (const char* code : {"UK", "EU", "EL", "XK", "AA", "ZZ", "QM", "AN", "YU", "CS", "", "D",
                           "DEU", "D1", " DE", "DE "}) {
    EXPECT_FALSE(IsAssignedCountryCode(code)) << code;
    Result<std::string> n = NormalizeCountryCode(code);
    ASSERT_FALSE(n.ok()) << code;
    EXPECT_EQ(n.status().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_FALSE(IsAssignedCountryCode("de"));  // the strict check wants upper case
}

TEST(CountryCodeTest, HintsAtTheCodeMeant) {
  EXPECT_NE(NormalizeCountryCode("UK").status().message().find("\"GB\""), std::string::npos);
  EXPECT_NE(NormalizeCountryCode("el").status().message().find("\"GR\""), std::string::npos);
}

TEST(LegalBasisTest, SixArt6BasesInOrderWithNames) {
  const auto bases = Art6LegalBases();
  ASSERT_EQ(bases.size(), 6u);
  const char* names[] = {"consent",         "contract",    "legal obligation",
                         "vital interests", "public task", "legitimate interests"};
  for (size_t i = 0; i < bases.size(); ++i) {
    EXPECT_EQ(bases[i].code, std::string("art6-1-") + static_cast<char>('a' + i));
    EXPECT_EQ(bases[i].name, names[i]);
    Result<LegalBasisInfo> found = LookupLegalBasis(bases[i].code);
    ASSERT_TRUE(found.ok());
    EXPECT_EQ(found->name, names[i]);
  }
}

TEST(LegalBasisTest, AliasesNormaliseToCodes) {
  const std::pair<const char*, const char*> cases[] = {
      {"consent", "art6-1-a"},          {"contract", "art6-1-b"},
      {"legal-obligation", "art6-1-c"}, {"vital-interests", "art6-1-d"},
      {"public-task", "art6-1-e"},      {"Public_Task", "art6-1-e"},
      {"public task", "art6-1-e"},      {"legitimate-interests", "art6-1-f"},
      {"ART6-1-E", "art6-1-e"},         {"  art6-1-f ", "art6-1-f"},
  };
  for (const auto& [input, code] : cases) {
    Result<std::string> n = NormalizeLegalBasis(input);
    ASSERT_TRUE(n.ok()) << input << ": " << n.status().ToString();
    EXPECT_EQ(*n, code) << input;
  }
}

TEST(LegalBasisTest, RejectsUnknownWithTheValidList) {
  for (const char* input : {"", "art6-1-g", "art6-1", "art9-2-a", "explicit-consent", "gdpr"}) {
    Result<std::string> n = NormalizeLegalBasis(input);
    ASSERT_FALSE(n.ok()) << input;
    EXPECT_EQ(n.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(n.status().message().find("art6-1-e (public task)"), std::string::npos);
  }
}

TEST(Art9ConditionTest, TenConditionsInOrder) {
  const auto conditions = Art9Conditions();
  ASSERT_EQ(conditions.size(), 10u);
  for (size_t i = 0; i < conditions.size(); ++i) {
    EXPECT_EQ(conditions[i].code, std::string("art9-2-") + static_cast<char>('a' + i));
    EXPECT_FALSE(conditions[i].name.empty());
  }
  EXPECT_EQ(LookupArt9Condition("art9-2-a")->name, "explicit consent");
  EXPECT_EQ(LookupArt9Condition("art9-2-g")->name, "substantial public interest");
  EXPECT_EQ(LookupArt9Condition("art9-2-i")->name, "public health");
}

TEST(Art9ConditionTest, AliasesNormaliseToCodes) {
  const std::pair<const char*, const char*> cases[] = {
      {"explicit-consent", "art9-2-a"},
      {"employment", "art9-2-b"},
      {"vital-interests", "art9-2-c"},
      {"not-for-profit", "art9-2-d"},
      {"manifestly-made-public", "art9-2-e"},
      {"legal-claims", "art9-2-f"},
      {"substantial-public-interest", "art9-2-g"},
      {"health-care", "art9-2-h"},
      {"public-health", "art9-2-i"},
      {"archiving", "art9-2-j"},
      {"Art9-2-J", "art9-2-j"},
  };
  for (const auto& [input, code] : cases) {
    Result<std::string> n = NormalizeArt9Condition(input);
    ASSERT_TRUE(n.ok()) << input << ": " << n.status().ToString();
    EXPECT_EQ(*n, code) << input;
  }
}

TEST(Art9ConditionTest, RejectsUnknown) {
  for (const char* input : {"art9-2-k", "consent", "public-task", "art6-1-a", ""}) {
    EXPECT_EQ(NormalizeArt9Condition(input).status().code(), StatusCode::kInvalidArgument) << input;
  }
}

TEST(DateTest, AcceptsRealDates) {
  const std::pair<const char*, Date> cases[] = {
      {"2024-02-29", {2024, 2, 29}},  {"2000-02-29", {2000, 2, 29}}, {"2026-01-31", {2026, 1, 31}},
      {"2026-12-31", {2026, 12, 31}}, {"0001-01-01", {1, 1, 1}},     {"9999-12-31", {9999, 12, 31}},
  };
  for (const auto& [text, date] : cases) {
    Result<Date> d = ParseDate(text);
    ASSERT_TRUE(d.ok()) << text << ": " << d.status().ToString();
    EXPECT_EQ(*d, date) << text;
    EXPECT_EQ(FormatDate(*d), text);
  }
}

TEST(DateTest, RejectsImpossibleAndMalformedDates) {
  for (const char* text :
       {"2023-02-29", "1900-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "2026-06-00",
        "2026-01-32", "0000-01-01", "2026-4-1", "2026-04-1", "26-04-01", "2026/04/01",
        "2026-04-01T00:00", " 2026-04-01", "", "abcd-ef-gh", "2026-0a-01", "+026-04-01"}) {
    Result<Date> d = ParseDate(text);
    ASSERT_FALSE(d.ok()) << text;
    EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument) << text;
    EXPECT_NE(d.status().message().find(text), std::string::npos) << d.status().message();
  }
}

TEST(DateTest, MessagesSayWhatIsWrong) {
  EXPECT_NE(ParseDate("2023-02-29").status().message().find("2023 is not a leap year"),
            std::string::npos);
  EXPECT_NE(ParseDate("2026-13-01").status().message().find("month must be 01..12"),
            std::string::npos);
  EXPECT_NE(ParseDate("2026-04-31").status().message().find("01..30"), std::string::npos);
  EXPECT_NE(ParseDate("2026-4-1").status().message().find("YYYY-MM-DD"), std::string::npos);
}

TEST(DateTest, LeapYearsAndOrdering) {
  EXPECT_TRUE(IsLeapYear(2024));
  EXPECT_TRUE(IsLeapYear(2000));
  EXPECT_FALSE(IsLeapYear(1900));
  EXPECT_FALSE(IsLeapYear(2023));
  EXPECT_EQ(DaysInMonth(2024, 2), 29);
  EXPECT_EQ(DaysInMonth(2023, 2), 28);
  EXPECT_LT(*ParseDate("2025-12-31"), *ParseDate("2026-01-01"));
  EXPECT_LT(*ParseDate("2026-01-09"), *ParseDate("2026-01-10"));
}

}  // namespace
}  // namespace likeness::privacy
