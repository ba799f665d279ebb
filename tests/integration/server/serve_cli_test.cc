// `likeness serve` as a process: it writes a first admin key to admin.key in the key folder (and
// names the file, never the key, on stderr), prints its address, answers, and on SIGTERM finishes
// the request in flight and exits 0.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <thread>

#include "testing/test_env.h"

extern char** environ;

namespace likeness::server {
namespace {

struct Child {
  pid_t pid = -1;
  int err_fd = -1;
};

Child Spawn(const std::vector<std::string>& args) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&fa, fds[0]);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  Child c;
  EXPECT_EQ(posix_spawn(&c.pid, argv[0], &fa, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&fa);
  ::close(fds[1]);
  c.err_fd = fds[0];
  return c;
}

// Reads the child's stderr until `pattern` matches (or it closes / 60 s pass).
std::smatch WaitFor(int fd, std::string* text, const std::regex& pattern) {
  std::smatch m;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!std::regex_search(*text, m, pattern) && std::chrono::steady_clock::now() < deadline) {
    char buf[512];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    text->append(buf, static_cast<size_t>(n));
  }
  return m;
}

TEST(ServeCli, PrintsAnAdminKeyServesAndStopsGracefullyOnSigterm) {
  ASSERT_TRUE(likeness::testing::ModelDir() && likeness::testing::DemoPhotoDir());
  likeness::testing::TempDir dir;
  setenv("LIKENESS_MODELS", likeness::testing::ModelDir()->c_str(), 1);
  Child c = Spawn({LIKENESS_CLI, "--data", (dir.path() / "data").string(), "serve", "--port", "0",
                   "--threads", "1"});
  std::string err;
  const std::string key_file =
      WaitFor(c.err_fd, &err, std::regex("the key is in (\\S+) \\(mode 0600"))[1];
  const std::string port =
      WaitFor(c.err_fd, &err, std::regex("on http://127\\.0\\.0\\.1:(\\d+)/"))[1];
  ASSERT_FALSE(key_file.empty()) << err;
  ASSERT_FALSE(port.empty()) << err;
  EXPECT_EQ(err.find("lk_"), std::string::npos) << "the key reached stderr: " << err;
  std::string key_line;
  std::getline(std::ifstream(key_file), key_line);
  ASSERT_TRUE(key_line.starts_with("lk_")) << key_file;

  httplib::Client client("127.0.0.1", std::stoi(port));
  client.set_read_timeout(60);
  const httplib::Headers auth = {{"Authorization", "Bearer " + key_line}};
  auto who = client.Get("/api/v1/whoami", auth);
  ASSERT_TRUE(who);
  EXPECT_EQ(who->status, 200);
  EXPECT_NE(who->body.find("\"admin\""), std::string::npos);

  // A search in flight when SIGTERM arrives still gets its answer.
  int status = 0;
  std::thread search([&] {
    httplib::Client c2("127.0.0.1", std::stoi(port));
    c2.set_read_timeout(60);
    std::ifstream in(*likeness::testing::DemoPhotoDir() / "sample5.jpg", std::ios::binary);
    std::string photo((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto r = c2.Post("/api/v1/search", auth,
                     {{"image", photo, "p.jpg", "image/jpeg"},
                      {"purpose", "graceful stop test", "", ""},
                      {"legal_basis", "art6-1-e", "", ""},
                      {"case_ref", "T-1", "", ""}});
    status = r ? r->status : -1;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(::kill(c.pid, SIGTERM), 0);
  search.join();
  int wstatus = 0;
  ASSERT_EQ(::waitpid(c.pid, &wstatus, 0), c.pid);
  ::close(c.err_fd);
  EXPECT_EQ(status, 200);
  ASSERT_TRUE(WIFEXITED(wstatus)) << "killed by signal " << WTERMSIG(wstatus);
  EXPECT_EQ(WEXITSTATUS(wstatus), 0);

  // The next start finds the admin key and prints none.
  Child again = Spawn({LIKENESS_CLI, "--data", (dir.path() / "data").string(), "serve", "--port",
                       "0", "--threads", "1"});
  std::string err2;
  WaitFor(again.err_fd, &err2, std::regex("on http://127\\.0\\.0\\.1:\\d+/"));
  EXPECT_EQ(err2.find("lk_"), std::string::npos) << err2;
  ::kill(again.pid, SIGINT);
  ASSERT_EQ(::waitpid(again.pid, &wstatus, 0), again.pid);
  ::close(again.err_fd);
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
}

}  // namespace
}  // namespace likeness::server
