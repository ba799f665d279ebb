// Shared plumbing of the keys-audit attack tests: the `likeness` CLI run on one data folder with
// the keys root of this test (LIKENESS_KEYS), the way an operator - or an attacker holding a copy
// of the data folder - would run it.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "testing/cli_runner.h"
#include "testing/test_env.h"

namespace likeness::redteam {

namespace fs = std::filesystem;

// A data folder and a keys root, both in a fresh temporary folder.
class AttackEnv : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(likeness::testing::ModelDir()) << "run scripts/setup";
    ASSERT_TRUE(likeness::testing::DemoPhotoDir()) << "run scripts/setup";
    unsetenv("LIKENESS_MASTER_KEY");
    unsetenv("LIKENESS_OPERATOR");
    setenv("LIKENESS_MODELS", likeness::testing::ModelDir()->c_str(), 1);
    demo_ = *likeness::testing::DemoPhotoDir();
    data_ = tmp_.path() / "data";
    keys_ = tmp_.path() / "keys";
    setenv("LIKENESS_KEYS", keys_.c_str(), 1);
  }
  // `likeness --data <data> -q args...` with LIKENESS_KEYS=<keys_root>.
  likeness::testing::CliResult L(std::vector<std::string> args, const fs::path& data,
                                 const fs::path& keys_root) {
    setenv("LIKENESS_KEYS", keys_root.c_str(), 1);
    args.insert(args.begin(), {"--data", data.string(), "-q"});
    auto r = likeness::testing::RunProgram(LIKENESS_CLI, args, tmp_.path());
    setenv("LIKENESS_KEYS", keys_.c_str(), 1);
    return r;
  }
  likeness::testing::CliResult L(std::vector<std::string> args) {
    return L(std::move(args), data_, keys_);
  }
  static nlohmann::json J(const likeness::testing::CliResult& r) {
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
    return j;
  }
  std::string Demo(int i) const {
    return (demo_ / ("sample" + std::to_string(i) + ".jpg")).string();
  }
  // Ingests demo photos first..last into `source` (jurisdiction FR).
  void IngestDemo(const std::string& source, int first, int last) {
    const fs::path dir = tmp_.path() / ("photos-" + source);
    fs::create_directories(dir);
    for (int i = first; i <= last; ++i) fs::copy_file(Demo(i), dir / fs::path(Demo(i)).filename());
    auto r = L({"ingest", dir.string(), "--source", source, "--basis", "art6-1-e,art9-2-g",
                "--jurisdiction", "FR", "--jobs", "1", "--operator", "ingester"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static std::vector<std::string> Why(std::vector<std::string> args) {
    for (const char* a : {"--operator", "investigator", "--purpose", "inquiry", "--basis",
                          "art6-1-e", "--case", "C-7"}) {
      args.push_back(a);
    }
    return args;
  }
  static std::string ReadAll(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  // Starts `likeness --data <data> args...` in the background, stdout and stderr to files named
  // <tag>.out / <tag>.err in the temporary folder. Returns the pid.
  pid_t Spawn(const std::string& tag, std::vector<std::string> args) {
    args.insert(args.begin(), {LIKENESS_CLI, "--data", data_.string()});
    const fs::path out = tmp_.path() / (tag + ".out"), err = tmp_.path() / (tag + ".err");
    const pid_t pid = fork();
    if (pid == 0) {
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      FILE* o = freopen(out.c_str(), "w", stdout);
      FILE* e = freopen(err.c_str(), "w", stderr);
      (void)o, (void)e;
      execv(argv[0], argv.data());
      _exit(127);
    }
    return pid;
  }
  // Waits (up to `timeout`) until the file <tag>.err matches `pattern`; returns the first group
  // (or the whole match), empty on timeout.
  std::string WaitForErr(const std::string& tag, const std::string& pattern,
                         std::chrono::seconds timeout = std::chrono::seconds(120)) {
    const std::regex re(pattern);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string text = ReadAll(tmp_.path() / (tag + ".err"));
      std::smatch m;
      if (std::regex_search(text, m, re)) return m.size() > 1 ? m[1].str() : m[0].str();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return "";
  }
  // Sends `sig` and waits; returns the exit code (128 + signal when killed).
  static int Stop(pid_t pid, int sig) {
    ::kill(pid, sig);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  // The instance's key folder: <keys root>/<instance id>.
  fs::path KeyFolder() const {
    std::string id;
    std::ifstream(data_ / "instance.id") >> id;
    return keys_ / id;
  }

  likeness::testing::TempDir tmp_;
  fs::path demo_, data_, keys_;
};

}  // namespace likeness::redteam
