// Issue 12, finding 6: "Killed ingests leave no audit record: after kill -9s during one ingest of
// 200 photos (then a final run) all photos were held but the killed batches' photos had no audit
// trace." The attack: kill -9 an ingest of 150 generated photos several times, each time after it
// committed a few photos, then run it to the end. Every stored photo's batch must have a start
// record and an end or unfinished record, and each unfinished record must count exactly the
// photos its batch committed.
#include <sqlite3.h>

#include <map>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <set>

#include "attack_env.h"

namespace likeness::redteam {
namespace {

constexpr int kPhotos = 150;
constexpr int kKills = 6;

// SELECT of one integer per row from the catalog, read-only (the ingest may be writing).
std::vector<int64_t> Ints(const fs::path& db, const std::string& sql) {
  std::vector<int64_t> out;
  if (!fs::exists(db)) return out;
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(h);
    return out;
  }
  sqlite3_busy_timeout(h, 5000);
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW) out.push_back(sqlite3_column_int64(st, 0));
  }
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

int64_t Images(const fs::path& catalog) {
  auto n = Ints(catalog, "SELECT COUNT(*) FROM images");
  return n.empty() ? 0 : n[0];
}

// Distinct photos cut from the demo photos: random crops (80-100 % of the frame), scaled to 360
// pixels wide, brightness-jittered, saved at a random JPEG quality.
void MakePhotos(const fs::path& demo, const fs::path& out) {
  fs::create_directories(out);
  std::vector<cv::Mat> sources;
  for (int i = 1; i <= 6; ++i) {
    cv::Mat m = cv::imread((demo / ("sample" + std::to_string(i) + ".jpg")).string());
    ASSERT_FALSE(m.empty());
    sources.push_back(m);
  }
  std::mt19937 rng(12);
  std::uniform_real_distribution<double> frac(0.8, 1.0), gain(0.85, 1.15);
  std::uniform_int_distribution<int> quality(80, 95);
  for (int i = 0; i < kPhotos; ++i) {
    const cv::Mat& src = sources[i % sources.size()];
    const int w = static_cast<int>(src.cols * frac(rng)),
              h = static_cast<int>(src.rows * frac(rng));
    std::uniform_int_distribution<int> dx(0, src.cols - w), dy(0, src.rows - h);
    cv::Mat crop = src(cv::Rect(dx(rng), dy(rng), w, h)), small;
    cv::resize(crop, small, cv::Size(360, std::max(1, 360 * h / w)));
    small.convertTo(small, -1, gain(rng), 0);
    char name[32];
    std::snprintf(name, sizeof name, "photo-%03d.jpg", i);
    ASSERT_TRUE(
        cv::imwrite((out / name).string(), small, {cv::IMWRITE_JPEG_QUALITY, quality(rng)}));
  }
}

class IngestKillAttack : public AttackEnv {};

TEST_F(IngestKillAttack, EveryStoredPhotoOfAKilledIngestHasAnAuditTrace) {
  const fs::path photos = tmp_.path() / "photos";
  ASSERT_NO_FATAL_FAILURE(MakePhotos(demo_, photos));
  const fs::path catalog = data_ / "catalog.db";
  const std::vector<std::string> ingest = {"ingest",         photos.string(),
                                           "--source",       "bulk",
                                           "--basis",        "art6-1-e,art9-2-g",
                                           "--jurisdiction", "FR",
                                           "--jobs",         "1",
                                           "--operator",     "ingester"};
  int kills = 0;
  for (int k = 0; k < kKills; ++k) {
    const int64_t before = Images(catalog);
    if (before >= kPhotos - 10) break;
    const pid_t pid = Spawn("ingest", ingest);
    // Kill once this run has committed a few photos (or after two minutes at the latest).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
    while (Images(catalog) < before + 3 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(Stop(pid, SIGKILL), 128 + SIGKILL);
    ++kills;
  }
  ASSERT_GE(kills, 3) << "the ingest ran too fast to be killed mid-way";
  auto r = L(ingest);
  ASSERT_EQ(r.exit_code, 0) << r.err;

  // Nothing lost, nothing duplicated.
  EXPECT_EQ(Ints(catalog, "SELECT COUNT(DISTINCT content_hash) FROM images"),
            Ints(catalog, "SELECT COUNT(*) FROM images"));
  EXPECT_GE(Images(catalog), kPhotos * 9 / 10);

  r = L({"audit", "show", "--json", "--limit", "100000"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::set<int64_t> started, ended;
  std::map<int64_t, int64_t> unfinished_images;  // batch -> images_committed
  for (const auto& e : nlohmann::json(J(r)["entries"])) {
    const auto& d = e["details"];
    if (!d.contains("batch_id")) continue;
    const int64_t batch = d["batch_id"].get<int64_t>();
    const std::string action = e["action"];
    if (action == "ingest-start") {
      EXPECT_EQ(e["operator"], "ingester");
      EXPECT_EQ(d["source"], "bulk");
      started.insert(batch);
    } else if (action == "ingest") {
      ended.insert(batch);
    } else if (action == "ingest-unfinished") {
      EXPECT_FALSE(ended.contains(batch)) << "batch " << batch << " closed twice";
      ended.insert(batch);
      unfinished_images[batch] = d["images_committed"].get<int64_t>();
    }
  }
  const std::vector<int64_t> batches =
      Ints(catalog, "SELECT DISTINCT batch_id FROM images ORDER BY batch_id");
  ASSERT_GE(batches.size(), 3u);
  for (int64_t b : batches) {
    EXPECT_TRUE(started.contains(b)) << "stored photos of batch " << b << " have no start record";
    EXPECT_TRUE(ended.contains(b)) << "batch " << b << " has no end or unfinished record";
  }
  int64_t killed_with_photos = 0;
  for (const auto& [batch, committed] : unfinished_images) {
    const auto held =
        Ints(catalog, "SELECT COUNT(*) FROM images WHERE batch_id = " + std::to_string(batch));
    EXPECT_EQ(committed, held.at(0)) << "batch " << batch;
    if (committed > 0) ++killed_with_photos;
  }
  EXPECT_GE(killed_with_photos, kills - 1) << "each killed run committed photos";
  r = L({"audit", "verify"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

}  // namespace
}  // namespace likeness::redteam
