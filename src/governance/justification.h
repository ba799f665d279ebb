// Why an operator may look: the purpose, GDPR legal basis and case reference every biometric
// comparison states, and who makes it. Pure functions, thread safe.
#pragma once

#include <string>

#include "likeness/status.h"

namespace likeness::governance {

inline constexpr const char* kOperatorEnvVar = "LIKENESS_OPERATOR";

struct Justification {
  std::string operator_id;  // who acts (--operator, else $LIKENESS_OPERATOR)
  std::string purpose;      // why, in the operator's words
  std::string legal_basis;  // GDPR Art. 6(1) code or alias; normalised by Validate
  std::string case_ref;     // the case or ticket
  // The organisation (tenant) the operator acts for; recorded in the audit details as "tenant".
  // Empty for the CLI, which acts for the instance's operator.
  std::string tenant;
};

// Checks that every field is present and the basis is a GDPR Art. 6(1) basis; returns the
// justification with the basis normalised ("public-task" -> "art6-1-e"). InvalidArgument names
// what is missing.
Result<Justification> ValidateJustification(Justification j);

// `flag` when non-empty, else $LIKENESS_OPERATOR, else "" (callers refuse an empty operator).
std::string ResolveOperator(const std::string& flag);

}  // namespace likeness::governance
