#include "gov_cli.h"

#include <iostream>

namespace likeness::cli {

void AddJustificationFlags(CLI::App* cmd, JustificationFlags& f) {
  cmd->add_option("--operator", f.operator_id,
                  "who acts (default: $LIKENESS_OPERATOR); recorded in the audit chain");
  cmd->add_option("--purpose", f.purpose, "why, recorded in the audit chain");
  cmd->add_option("--basis", f.basis, "GDPR Art. 6(1) legal basis, e.g. art6-1-e");
  cmd->add_option("--case", f.case_ref, "case or ticket reference");
}

Result<governance::Justification> MakeJustification(const JustificationFlags& f, bool full,
                                                    const std::string& default_purpose,
                                                    const std::string& default_basis) {
  governance::Justification j{governance::ResolveOperator(f.operator_id), f.purpose, f.basis,
                              f.case_ref};
  if (full) return governance::ValidateJustification(j);
  if (j.operator_id.empty()) {
    return Status::InvalidArgument(std::string("no operator: pass --operator or set ") +
                                   governance::kOperatorEnvVar);
  }
  if (j.purpose.empty()) j.purpose = default_purpose;
  if (j.legal_basis.empty()) j.legal_basis = default_basis;
  if (!j.legal_basis.empty()) {
    j.case_ref = j.case_ref.empty() ? "-" : j.case_ref;
    auto v = governance::ValidateJustification(j);
    if (!v.ok()) return v.status();
    if (f.case_ref.empty()) v->case_ref.clear();
    return v;
  }
  return j;
}

Result<GovernedEngine> OpenGoverned(const GlobalFlags& flags) {
  GovernedEngine g;
  ASSIGN_OR_RETURN(g.engine, OpenEngine(flags));
  ASSIGN_OR_RETURN(g.gov, governance::Governance::Open(*g.engine));
  return g;
}

void PrintJson(const nlohmann::json& j) { std::cout << j.dump(2) << "\n"; }

}  // namespace likeness::cli
