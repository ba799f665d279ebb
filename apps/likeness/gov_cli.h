// CLI plumbing for the governance commands: the justification flags every audited command takes,
// and opening the engine together with the governance facade.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "cli_common.h"
#include "governance/governance.h"

namespace likeness::cli {

struct JustificationFlags {
  std::string operator_id, purpose, basis, case_ref;
};

// Adds --operator, --purpose, --basis and --case. `required` marks purpose/basis/case as needed
// for the command (checked when it runs, exit 3, so the message is ours, not CLI11's).
void AddJustificationFlags(CLI::App* cmd, JustificationFlags& flags);

// The justification from the flags: the operator from --operator or $LIKENESS_OPERATOR. With
// `full`, purpose, basis and case are required and validated (InvalidArgument); otherwise
// missing purpose/basis take the defaults given and only the operator is required.
Result<governance::Justification> MakeJustification(const JustificationFlags& flags, bool full,
                                                    const std::string& default_purpose = "",
                                                    const std::string& default_basis = "");

struct GovernedEngine {
  std::unique_ptr<engine::Engine> engine;
  std::unique_ptr<governance::Governance> gov;
};
Result<GovernedEngine> OpenGoverned(const GlobalFlags& flags);

// Prints a JSON value (pretty) to stdout.
void PrintJson(const nlohmann::json& j);

}  // namespace likeness::cli
