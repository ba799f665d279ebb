// Issue 12, finding 3: "Crypto-shredding does not reach backups; a copy of the data folder can run
// searches off the books." The attacks: steal a copy of the data folder and search it; restore a
// backup taken before a source was erased and look for that source; look for key bytes in the
// data folder and in a backup. And the upgrade path: a data folder of an older build, keys inside,
// has them moved out on first open.
#include <sodium.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <set>

#include "attack_env.h"
#include "engine/engine.h"

namespace likeness::redteam {
namespace {

// Every regular file under `dir`.
std::vector<fs::path> FilesUnder(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out.push_back(e.path());
  }
  return out;
}

int64_t CountRows(const fs::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(h);
  int64_t n = -1;
  if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(h);
  return n;
}

std::vector<int64_t> Ids(const fs::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(h);
  std::vector<int64_t> out;
  while (sqlite3_step(st) == SQLITE_ROW) out.push_back(sqlite3_column_int64(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

// The master key as stored (64 hex characters) and as raw bytes: neither may appear in `blob`.
void ExpectNoMasterKeyIn(const std::string& blob, const std::string& master_hex,
                         const std::string& where) {
  ASSERT_EQ(master_hex.size(), 64u);
  std::string raw(32, '\0');
  size_t n = 0;
  ASSERT_EQ(sodium_hex2bin(reinterpret_cast<unsigned char*>(raw.data()), raw.size(),
                           master_hex.data(), master_hex.size(), nullptr, &n, nullptr),
            0);
  EXPECT_EQ(blob.find(master_hex), std::string::npos) << where << " holds the master key (hex)";
  EXPECT_EQ(blob.find(raw), std::string::npos) << where << " holds the master key (raw)";
}

std::set<std::string> MatchedSources(const nlohmann::json& search) {
  std::set<std::string> out;
  for (const auto& face : search["faces"]) {
    for (const auto& m : face["matches"]) {
      if (m["match"].get<bool>()) out.insert(m["source"].get<std::string>());
    }
  }
  return out;
}

class KeysOffFolderAttack : public AttackEnv {};

TEST_F(KeysOffFolderAttack, ACopiedDataFolderWithoutItsKeysCannotSearch) {
  IngestDemo("people", 1, 3);
  const fs::path keys = KeyFolder();
  const std::string master_hex = ReadAll(keys / "master.key").substr(0, 64);

  // The data folder holds no key, by name or by content.
  for (const fs::path& f : FilesUnder(data_)) {
    const std::string name = f.filename().string();
    EXPECT_TRUE(name != "master.key" && name != "instance.key" && !name.starts_with("keys.db"))
        << f;
    ExpectNoMasterKeyIn(ReadAll(f), master_hex, f.string());
  }
  // The key folder is private: 0700, its files 0600.
  struct stat st {};
  ASSERT_EQ(::stat(keys.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  for (const fs::path& f : FilesUnder(keys)) {
    ASSERT_EQ(::stat(f.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0077, 0u) << f << " is open to group or others";
  }

  // The attacker copies the data folder to a machine without the keys.
  const fs::path stolen = tmp_.path() / "stolen";
  fs::copy(data_, stolen, fs::copy_options::recursive);
  const fs::path attacker_keys = tmp_.path() / "attacker-keys";
  const int64_t audit_rows = CountRows(stolen / "audit.db", "SELECT COUNT(*) FROM audit");
  auto r = L(Why({"search", Demo(2), "--json"}), stolen, attacker_keys);
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
  EXPECT_NE(r.err.find("without its keys"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("\"matches\""), std::string::npos) << r.out;
  // `init` does not mint keys for a folder that already holds data...
  r = L({"init"}, stolen, attacker_keys);
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_FALSE(fs::exists(attacker_keys / keys.filename())) << "keys were minted for a copy";
  // ...and nothing was searched off the books: the copy's audit log did not grow.
  EXPECT_EQ(CountRows(stolen / "audit.db", "SELECT COUNT(*) FROM audit"), audit_rows);

  // With a key file opened to others, even the owner's own search is refused (0600 is checked).
  fs::permissions(keys / "master.key", fs::perms::group_read, fs::perm_options::add);
  r = L(Why({"search", Demo(2)}));
  EXPECT_EQ(r.exit_code, 7) << r.err;
  EXPECT_NE(r.err.find("chmod 600"), std::string::npos) << r.err;
  fs::permissions(keys / "master.key", fs::perms::group_read, fs::perm_options::remove);

  // The owner, with the keys, searches as before.
  r = L(Why({"search", Demo(2), "--json"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(MatchedSources(J(r)).contains("people")) << r.out;
}

TEST_F(KeysOffFolderAttack, ABackupTakenBeforeAnErasureNeverBringsTheErasedSourceBack) {
  IngestDemo("keep", 1, 3);
  IngestDemo("erase-me", 4, 6);
  auto r = L(Why({"search", Demo(5), "--json"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(MatchedSources(J(r)).contains("erase-me")) << "the photo must be findable first";

  // A backup is written outside the data folder only, and holds neither keys nor plain vectors.
  EXPECT_EQ(L({"backup", "--out", (data_ / "inside.tar").string()}).exit_code, 3);
  const fs::path backup = tmp_.path() / "before-erasure.tar";
  r = L({"backup", "--out", backup.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::set<std::string> files;
  for (const auto& f : nlohmann::json(J(r)["files"])) files.insert(f.get<std::string>());
  EXPECT_TRUE(files.contains("catalog.db") && files.contains("audit.db") &&
              files.contains("instance.id"))
      << r.out;
  for (const std::string& f : files) {
    EXPECT_FALSE(f.ends_with(".key") || f.starts_with("keys.db") || f == "api_keys.secret" ||
                 f.starts_with("index/") || f == "hubness.lkhub")
        << f << " must not be in a backup";
  }
  ExpectNoMasterKeyIn(ReadAll(backup), ReadAll(KeyFolder() / "master.key").substr(0, 64),
                      backup.string());

  // The source is erased (its data key destroyed); then the old backup is restored.
  r = L({"erase", "--source", "erase-me", "--yes", "--operator", "officer"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path restored = tmp_.path() / "restored";
  fs::create_directories(restored);
  auto untar = likeness::testing::RunProgram(
      "/usr/bin/tar", {"-xf", backup.string(), "-C", restored.string()}, tmp_.path());
  ASSERT_EQ(untar.exit_code, 0) << untar.err;
  const std::vector<int64_t> erased_faces =
      Ids(restored / "catalog.db",
          "SELECT f.id FROM faces f JOIN images i ON i.id = f.image_id JOIN sources s ON "
          "s.id = i.source_id WHERE s.name = 'erase-me'");
  const std::vector<int64_t> kept_faces =
      Ids(restored / "catalog.db",
          "SELECT f.id FROM faces f JOIN images i ON i.id = f.image_id JOIN sources s ON "
          "s.id = i.source_id WHERE s.name = 'keep'");
  ASSERT_FALSE(erased_faces.empty()) << "the backup predates the erasure: it holds the rows";
  ASSERT_FALSE(kept_faces.empty());

  // The erased source's embeddings cannot be decrypted: its data key is gone from the live keys.
  {
    auto sealed = engine::OpenSealedCatalog(restored);
    ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
    for (int64_t id : erased_faces) {
      auto face = sealed->catalog->GetFace(id, /*with_embedding=*/true);
      EXPECT_EQ(face.status().code(), StatusCode::kNotFound) << "face " << id << " decrypted";
    }
    for (int64_t id : kept_faces) {
      auto face = sealed->catalog->GetFace(id, true);
      EXPECT_TRUE(face.ok()) << face.status().ToString();
    }
  }
  // ...and they are never found: the restored folder rebuilds its index without them.
  r = L(Why({"search", Demo(5), "--json"}), restored, keys_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(MatchedSources(J(r)).contains("erase-me")) << r.out;
  r = L(Why({"search", Demo(2), "--json"}), restored, keys_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(MatchedSources(J(r)).contains("keep")) << "the rest of the backup restores";
}

TEST_F(KeysOffFolderAttack, AnOlderDataFolderHasItsKeysMovedOutOnFirstOpen) {
  IngestDemo("people", 1, 2);
  // Recreate the old layout: every key file inside the data folder, no instance id.
  const fs::path old_keys = KeyFolder();
  for (const fs::path& f : FilesUnder(old_keys)) fs::rename(f, data_ / f.filename());
  fs::remove(old_keys);
  fs::remove(data_ / "instance.id");

  auto r = L({"stats"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("moved the keys"), std::string::npos) << r.err;
  for (const char* name : {"master.key", "keys.db", "instance.key"}) {
    EXPECT_FALSE(fs::exists(data_ / name)) << name << " is still in the data folder";
    EXPECT_TRUE(fs::exists(KeyFolder() / name)) << name << " did not reach the key folder";
  }
  r = L(Why({"search", Demo(2), "--json"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(MatchedSources(J(r)).contains("people")) << "sealed embeddings still open";
  r = L({"audit", "verify"});
  EXPECT_EQ(r.exit_code, 0) << r.err;  // the moved instance key still verifies old checkpoints
  r = L({"stats"});
  EXPECT_EQ(r.err.find("moved the keys"), std::string::npos) << "moved once only: " << r.err;
}

}  // namespace
}  // namespace likeness::redteam
