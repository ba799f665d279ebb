// Attack on "one writer per data folder" (issue 12, finding 2): while `likeness serve` holds a data
// folder, an operator (or a script) runs `likeness erase` and `likeness ingest` on the same
// folder from a shell. Before, the CLI changed the catalog under the running server, which kept
// the erased vectors in its index and could save them back. Now every writing command is refused
// with exit 6 and a message naming the server's pid and how to proceed (the API / web app, or stop
// the server), and changes nothing; reading commands still work; once the server stops, the same
// erasure runs.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "testing/cli_runner.h"
#include "testing/test_env.h"

namespace likeness {
namespace {
namespace fs = std::filesystem;

// Whether some process holds an exclusive flock on the file (a shared one cannot be taken).
bool Locked(const fs::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0;
  ::close(fd);
  return held;
}

class OneWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(likeness::testing::ModelDir()) << "models missing: run scripts/setup";
    ASSERT_TRUE(likeness::testing::DemoPhotoDir()) << "demo photos missing: run scripts/setup";
    unsetenv("LIKENESS_MASTER_KEY");
    setenv("LIKENESS_OPERATOR", "dpo", 1);
    data_ = tmp_.path() / "data";
    ASSERT_EQ(
        L({"ingest", (*likeness::testing::DemoPhotoDir() / "sample1.jpg").string(), "--source",
           "press", "--basis", "art6-1-e,art9-2-g", "--jurisdiction", "FR", "--jobs", "1"})
            .exit_code,
        0);
  }
  void TearDown() override { StopServer(); }

  likeness::testing::CliResult L(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data", data_.string(), "-q"});
    return likeness::testing::RunProgram(LIKENESS_CLI, args, tmp_.path() / "cli");
  }
  void StartServer() {
    fs::create_directories(tmp_.path() / "srv");
    server_ = ::fork();
    ASSERT_GE(server_, 0);
    if (server_ == 0) {
      const int out = ::open((tmp_.path() / "srv" / "out").c_str(), O_WRONLY | O_CREAT, 0600);
      ::dup2(out, 1);
      ::dup2(out, 2);
      const std::string data = data_.string();
      ::execl(LIKENESS_CLI, LIKENESS_CLI, "--data", data.c_str(), "serve", "--port", "0",
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    const auto serving = [&] {
      std::ifstream in(data_ / "writer.lock");
      const std::string text((std::istreambuf_iterator<char>(in)), {});
      return Locked(data_ / "writer.lock") &&
             text.find("pid=" + std::to_string(server_) + " role=serve") != std::string::npos;
    };
    while (!serving()) {
      int status = 0;
      ASSERT_EQ(::waitpid(server_, &status, WNOHANG), 0) << "the server exited";
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the server did not start";
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  void StopServer() {
    if (server_ <= 0) return;
    ::kill(server_, SIGTERM);
    int status = 0;
    ::waitpid(server_, &status, 0);
    server_ = 0;
  }
  int64_t Faces() {
    auto r = L({"stats", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out)["faces"].get<int64_t>();
  }

  likeness::testing::TempDir tmp_;
  fs::path data_;
  pid_t server_ = 0;
};

TEST_F(OneWriterTest, ACliErasureOnAServedFolderIsRefusedWithTheWayThrough) {
  fs::create_directories(tmp_.path() / "cli");
  const int64_t before = Faces();
  ASSERT_GT(before, 0);
  StartServer();

  auto erase = L({"erase", "--source", "press", "--yes", "--case", "C-1"});
  EXPECT_EQ(erase.exit_code, 6) << erase.out << erase.err;
  EXPECT_NE(erase.err.find("served by pid " + std::to_string(server_)), std::string::npos)
      << erase.err;
  EXPECT_NE(erase.err.find("/api/v1/erasures"), std::string::npos) << erase.err;
  EXPECT_NE(erase.err.find("stop the server"), std::string::npos) << erase.err;

  for (const std::vector<std::string>& writer : std::vector<std::vector<std::string>>{
           {"ingest", (*likeness::testing::DemoPhotoDir() / "sample2.jpg").string(), "--source",
            "press", "--basis", "art6-1-e,art9-2-g", "--jurisdiction", "FR"},
           {"optout", "add", (*likeness::testing::DemoPhotoDir() / "sample1.jpg").string(),
            "--request", "R-1", "--largest"},
           {"retention", "run"},
           {"index", "set", "HNSW16"},
           {"erase", "lift", "--hash", std::string(64, 'a'), "--reason", "r", "--case", "C"}}) {
    auto r = L(writer);
    EXPECT_EQ(r.exit_code, 6) << writer[0] << ": " << r.err;
    EXPECT_NE(r.err.find("served by pid"), std::string::npos) << r.err;
  }
  // Readers are not writers: they still run, and nothing was changed.
  EXPECT_EQ(Faces(), before);
  EXPECT_TRUE(Locked(data_ / "writer.lock"));

  StopServer();
  EXPECT_FALSE(Locked(data_ / "writer.lock"));
  auto now = L({"erase", "--source", "press", "--yes", "--case", "C-1"});
  EXPECT_EQ(now.exit_code, 0) << now.err;
  EXPECT_EQ(Faces(), 0);
}

TEST_F(OneWriterTest, AKilledWriterLeavesNoLockBehind) {
  // The lock is the flock, not the file: the kernel drops it with the process (kill -9 too).
  fs::create_directories(tmp_.path() / "cli");
  StartServer();
  ::kill(server_, SIGKILL);
  int status = 0;
  ::waitpid(server_, &status, 0);
  server_ = 0;
  EXPECT_FALSE(Locked(data_ / "writer.lock"));
  EXPECT_EQ(L({"erase", "--source", "press", "--yes"}).exit_code, 0);
}

}  // namespace
}  // namespace likeness
