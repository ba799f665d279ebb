#include "governance/justification.h"

#include <cstdlib>

#include "privacy/legal.h"

namespace likeness::governance {

Result<Justification> ValidateJustification(Justification j) {
  if (j.operator_id.empty()) {
    return Status::InvalidArgument(std::string("no operator: pass --operator or set ") +
                                   kOperatorEnvVar);
  }
  if (j.purpose.empty()) return Status::InvalidArgument("no purpose: pass --purpose");
  if (j.case_ref.empty()) return Status::InvalidArgument("no case reference: pass --case");
  if (j.legal_basis.empty()) {
    return Status::InvalidArgument("no legal basis: pass --basis (e.g. art6-1-e)");
  }
  auto basis = privacy::NormalizeLegalBasis(j.legal_basis);
  if (!basis.ok()) return basis.status();
  j.legal_basis = *basis;
  return j;
}

std::string ResolveOperator(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv(kOperatorEnvVar); env && *env) return env;
  return "";
}

}  // namespace likeness::governance
