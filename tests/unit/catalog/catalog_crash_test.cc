// Durability smoke test: a writer process killed with SIGKILL mid-ingest must leave a catalog that
// opens, passes SQLite's integrity check, holds every image whose commit was reported, and holds no
// partial image (every image has exactly the faces it was written with).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <string>

#include "catalog/catalog.h"
#include "catalog_test_util.h"
#include "testing/test_env.h"

namespace likeness::catalog {
namespace {

namespace fs = std::filesystem;
using ::likeness::testing::TempDir;

// Each round kills the writer at a different moment: kCommitsBeforeKill reports, then a pause that
// grows by kKillDelayStepUs per round, so the kill lands at varied points of the insert/commit
// cycle. (Checked by mutation: with AddImageWithFaces' transaction removed, this test fails.)
constexpr int kRounds = 8;
constexpr int kCommitsBeforeKill = 25;
constexpr useconds_t kKillDelayStepUs = 397;
// Upper bound on what a child writes, so a parent that fails to kill it does not fill the disk.
constexpr int kMaxImagesPerChild = 100000;

// Faces per image, recorded in the image's width so the parent can check completeness.
int FacesFor(int i) { return 1 + i % 3; }

// Runs in the forked child: adds images "r<round>-<i>" forever, reporting each commit on `fd`.
[[noreturn]] void WriterChild(const fs::path& path, int64_t source_id, int round, int fd) {
  auto catalog = Catalog::Open(path);
  if (!catalog.ok()) _exit(2);
  for (int32_t i = 0; i < kMaxImagesPerChild; ++i) {
    ImageRecord image =
        testing::MakeImage(source_id, "r" + std::to_string(round) + "-" + std::to_string(i));
    image.width = FacesFor(i);
    std::vector<FaceRecord> faces =
        testing::MakeFaces(testing::kModelA, FacesFor(i), static_cast<float>(i));
    if (!(*catalog)->AddImageWithFaces(image, faces).ok()) _exit(3);
    const int32_t committed = i + 1;
    if (write(fd, &committed, sizeof(committed)) != sizeof(committed)) _exit(4);
  }
  _exit(0);
}

// Reads commit reports until `want` arrived (or EOF); returns the highest count seen.
int32_t ReadCommits(int fd, int32_t want) {
  int32_t highest = 0;
  while (highest < want || want < 0) {
    int32_t value = 0;
    const ssize_t n = read(fd, &value, sizeof(value));
    if (n < 0 && errno == EINTR) continue;
    if (n != static_cast<ssize_t>(sizeof(value))) break;  // EOF (or a torn report: never written)
    highest = std::max(highest, value);
  }
  return highest;
}

TEST(CatalogCrashTest, KilledWriterLeavesConsistentCatalog) {
  TempDir dir;
  const fs::path path = dir.path() / "catalog.db";
  int64_t source_id = 0;
  {
    auto catalog = Catalog::Open(path);
    ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
    auto source = (*catalog)->CreateSource(testing::MakeSource("crash"));
    ASSERT_TRUE(source.ok());
    source_id = source->id;
  }  // closed: the child must not inherit an open connection

  int64_t reported_total = 0;
  for (int round = 0; round < kRounds; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      WriterChild(path, source_id, round, fds[1]);
    }
    close(fds[1]);
    const int32_t before_kill = ReadCommits(fds[0], kCommitsBeforeKill);
    usleep(static_cast<useconds_t>(round) * kKillDelayStepUs);
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int wstatus = 0;
    ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
    const int32_t reported = std::max(before_kill, ReadCommits(fds[0], -1));  // drain
    close(fds[0]);
    ASSERT_TRUE(WIFSIGNALED(wstatus)) << "child exited early with " << WEXITSTATUS(wstatus);
    EXPECT_EQ(WTERMSIG(wstatus), SIGKILL);
    ASSERT_GE(reported, kCommitsBeforeKill);
    reported_total += reported;

    // Recovery: the catalog opens and is whole.
    auto catalog = Catalog::Open(path);
    ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
    EXPECT_TRUE((*catalog)->CheckIntegrity().ok());
    auto raw = testing::RawOpen(path);
    EXPECT_EQ(testing::RawText(*raw, "PRAGMA integrity_check"), "ok");

    // Every reported commit survived; at most the one in flight was added beyond them.
    const std::string prefix = "'r" + std::to_string(round) + "-%'";
    const int64_t stored =
        testing::RawInt(*raw, "SELECT COUNT(*) FROM images WHERE content_hash LIKE " + prefix);
    EXPECT_GE(stored, reported);
    EXPECT_LE(stored, reported + 1);
    // Commits are sequential, so the stored images are exactly r<round>-0 .. r<round>-(stored-1).
    for (int64_t i = 0; i < stored; ++i) {
      auto found =
          (*catalog)->FindImageByHash("r" + std::to_string(round) + "-" + std::to_string(i));
      ASSERT_TRUE(found.ok() && found->has_value()) << "missing image " << i;
    }

    // No partial image: every image holds exactly the faces it was written with.
    EXPECT_EQ(testing::RawInt(*raw,
                              "SELECT COUNT(*) FROM images i WHERE i.width <> "
                              "(SELECT COUNT(*) FROM faces f WHERE f.image_id = i.id)"),
              0);
    auto stats = (*catalog)->Stats();
    ASSERT_TRUE(stats.ok());
    EXPECT_EQ(stats->faces, testing::RawInt(*raw, "SELECT SUM(width) FROM images"));
    // Every image had faces, so each committed add bumped the generation exactly once.
    auto generation = (*catalog)->Generation();
    ASSERT_TRUE(generation.ok());
    EXPECT_EQ(*generation, static_cast<uint64_t>(stats->images));
  }
  EXPECT_GE(reported_total, kRounds * kCommitsBeforeKill);
}

}  // namespace
}  // namespace likeness::catalog
