#include "governance/justification.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace likeness::governance {
namespace {

TEST(Justification, EveryFieldIsRequiredAndTheBasisIsNormalised) {
  auto ok = ValidateJustification({"alice", "missing person", "Public-Task", "C-1"});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->legal_basis, "art6-1-e");
  struct Case {
    Justification j;
    const char* names;
  };
  for (const Case& c :
       {Case{{"", "p", "art6-1-e", "c"}, "operator"}, Case{{"o", "", "art6-1-e", "c"}, "purpose"},
        Case{{"o", "p", "", "c"}, "basis"}, Case{{"o", "p", "art6-1-e", ""}, "case"},
        Case{{"o", "p", "art9-2-g", "c"}, "art9-2-g"}}) {
    auto r = ValidateJustification(c.j);
    ASSERT_FALSE(r.ok()) << c.names;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.names), std::string::npos) << r.status().message();
  }
}

TEST(Justification, OperatorComesFromTheFlagThenTheEnvironment) {
  unsetenv(kOperatorEnvVar);
  EXPECT_EQ(ResolveOperator(""), "");
  setenv(kOperatorEnvVar, "env-op", 1);
  EXPECT_EQ(ResolveOperator(""), "env-op");
  EXPECT_EQ(ResolveOperator("flag-op"), "flag-op");
  unsetenv(kOperatorEnvVar);
}

}  // namespace
}  // namespace likeness::governance
