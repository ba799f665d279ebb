// Where a data folder's keys live: outside the data folder, so that a copy or a backup of the data
// folder holds no key, crypto-shredding (destroying a source's data key) reaches every backup, and
// a data folder copied without its keys can neither decrypt nor search.
//
// Layout: <root>/<instance id>/ (mode 0700) holds
//   master.key    the master key (not when $LIKENESS_MASTER_KEY supplies it), 0600
//   keys.db       the data keys, wrapped under the master key (key_store.h), 0600
//   instance.key  the Ed25519 key that signs audit checkpoints and anchors (instance_key.h), 0600
//   admin.key     the bootstrap admin API key, written once by the first `serve` (0600)
// <root> is, first match wins: SetKeysRoot (the CLI's --keys), $LIKENESS_KEYS,
// $XDG_CONFIG_HOME/likeness/keys, $HOME/.config/likeness/keys. The systemd units set
// LIKENESS_KEYS=/etc/likeness. <instance id> is <data>/instance.id: 32 hex characters naming the
// instance, not secret, created together with the keys.
//
// Lifecycle (OpenKeyFolder):
//  - a new data folder (no catalog.db or audit.db) gets its keys on first open: the
//    first writer creates instance.id, the folder, master.key and instance.key;
//  - a data folder of an older build, with master.key / keys.db / instance.key inside it, has them
//    moved to the key folder on first open (one message on stderr names both places);
//  - a data folder that holds data but whose key folder is absent is refused (NotFound) with a
//    message saying where the keys were expected and how to point at them. This is what stops a
//    copied data folder: without the keys it opens nothing.
// Every key file is read with ReadSecretFile, so mode (0600) and owner (this user) are checked.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "likeness/status.h"

namespace likeness::privacy {

inline constexpr const char* kKeysEnvVar = "LIKENESS_KEYS";

struct KeyFolder {
  std::filesystem::path dir;  // <root>/<instance id>
  std::string instance_id;
  bool created = false;               // this call created the keys (a new data folder)
  std::vector<std::string> migrated;  // file names this call moved here from the data folder

  std::filesystem::path master_key() const { return dir / "master.key"; }
  std::filesystem::path keys_db() const { return dir / "keys.db"; }
  std::filesystem::path instance_key() const { return dir / "instance.key"; }
  std::filesystem::path admin_key() const { return dir / "admin.key"; }
};

// Overrides the keys root for this process (the CLI's --keys); empty restores $LIKENESS_KEYS /
// the default. Call before any folder is opened.
void SetKeysRoot(const std::filesystem::path& root);
// The keys root (see above). FailedPrecondition when nothing names one (no --keys,
// $LIKENESS_KEYS, $XDG_CONFIG_HOME or $HOME).
Result<std::filesystem::path> KeysRoot();

// The keys of `data_dir` (see Lifecycle). Errors: NotFound (data without keys; the message names
// the expected folder and --keys / LIKENESS_KEYS), FailedPrecondition (a key file exists both in
// the data folder and in the key folder), PermissionDenied, IOError.
Result<KeyFolder> OpenKeyFolder(const std::filesystem::path& data_dir);

// `likeness init`: OpenKeyFolder, but AlreadyExists when the keys were there before this call
// (init is one-time: it never replaces a key, which would orphan every sealed embedding).
Result<KeyFolder> InitKeyFolder(const std::filesystem::path& data_dir);

// Whether `path` lies inside `folder` (both made absolute and normalised; no symlink resolution
// beyond what exists). Used to refuse anchors and backups written into the data folder itself.
bool IsInside(const std::filesystem::path& path, const std::filesystem::path& folder);

}  // namespace likeness::privacy
