// Runs a program (the `likeness` CLI in integration tests) as a child process and captures its
// output, the way a user's shell would see it.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace likeness::testing {

struct CliResult {
  int exit_code = -1;  // 128 + signal number when the child was killed
  std::string out, err;
};

// Runs `binary args...` with stdout and stderr captured through files in `scratch` (overwritten on
// every call), waits for it and returns its exit code and output.
CliResult RunProgram(const std::filesystem::path& binary, const std::vector<std::string>& args,
                     const std::filesystem::path& scratch);

}  // namespace likeness::testing
