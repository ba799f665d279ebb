// likeness init: creates a new data folder's keys, outside the data folder (privacy/key_folder.h).
// One-time: it never replaces a key (AlreadyExists, exit 5). A data folder of an older build, with
// its keys inside, has them moved out (the same move any command makes on first open).
#include <cstdio>

#include "commands.h"
#include "gov_cli.h"

namespace likeness::cli {

void RegisterInit(CLI::App& app, GlobalFlags& flags, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "init", "create the data folder's keys (master key, audit signing key) outside it");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "JSON output");
  cmd->callback([&flags, json, exit_code]() {
    const auto data = engine::ResolveDataDir(flags.data_dir);
    auto folder = privacy::InitKeyFolder(data);
    if (!folder.ok()) {
      *exit_code = Fail(folder.status());
      return;
    }
    const char* how = folder->migrated.empty() ? "created" : "moved";
    if (*json) {
      PrintJson({{"data", data.string()},
                 {"keys", folder->dir.string()},
                 {"instance_id", folder->instance_id},
                 {"action", how},
                 {"migrated", folder->migrated}});
      return;
    }
    std::printf(
        "%s the keys of data folder %s in %s\n"
        "back that folder up apart from the data folder, on storage that erasure can reach\n",
        how, data.c_str(), folder->dir.c_str());
  });
}

}  // namespace likeness::cli
