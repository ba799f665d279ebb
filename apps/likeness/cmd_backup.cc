// likeness backup --out FILE: a consistent copy of the data folder without its keys
// (backup/backup.h says what goes in and what stays out).
#include <cstdio>

#include "backup/backup.h"
#include "commands.h"
#include "gov_cli.h"

namespace likeness::cli {

void RegisterBackup(CLI::App& app, GlobalFlags& flags, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "backup", "write a consistent backup of the data folder (no keys, no plain vectors)");
  struct Args {
    std::string out;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--out", a->out, "the tar file to write (outside the data folder)")->required();
  cmd->add_flag("--json", a->json, "JSON output");
  cmd->callback([&flags, a, exit_code]() {
    const auto data = engine::ResolveDataDir(flags.data_dir);
    auto stats = backup::WriteBackup(data, a->out);
    if (!stats.ok()) {
      *exit_code = Fail(stats.status());
      return;
    }
    if (a->json) {
      PrintJson({{"out", a->out},
                 {"files", stats->files},
                 {"left_out", stats->left_out},
                 {"bytes", stats->bytes},
                 {"seconds", stats->seconds}});
      return;
    }
    std::printf("backed up %zu file(s) of %s to %s: %lld bytes in %.2f s\n", stats->files.size(),
                data.c_str(), a->out.c_str(), static_cast<long long>(stats->bytes), stats->seconds);
    std::printf(
        "not in the backup: the keys (back up the key folder apart) and the index files "
        "(rebuilt from the catalog on first open)\n");
  });
}

}  // namespace likeness::cli
