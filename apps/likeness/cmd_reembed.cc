#include <cstdio>
#include <iostream>

#include "commands.h"
#include "common/hash.h"
#include "engine/reembed.h"

namespace likeness::cli {

void RegisterReembed(CLI::App& app, GlobalFlags& flags, int* exit_code) {
  auto* cmd =
      app.add_subcommand("reembed", "migrate the catalog's embeddings to another model variant");
  auto flip = std::make_shared<bool>(false);
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--flip,!--no-flip", *flip,
                "target model: with (--flip) or without (--no-flip) flip test-time augmentation");
  cmd->add_flag("--json", *json, "JSON output");
  cmd->callback([&flags, flip, json, exit_code]() {
    engine::EngineOptions options;
    options.data_dir = engine::ResolveDataDir(flags.data_dir);
    options.index_factory = flags.index_factory;
    options.analyze.flip_augment = *flip;
    options.allow_model_migration = true;
    options.writer_role = "reembed";
    auto eng = engine::Engine::Open(options);
    if (!eng.ok()) {
      *exit_code = Fail(eng.status());
      return;
    }
    const bool quiet = flags.quiet;
    auto r = engine::Reembed(**eng, [quiet](int64_t done, int64_t total) {
      if (!quiet)
        std::fprintf(stderr, "\rre-embedding: %lld/%lld images", static_cast<long long>(done),
                     static_cast<long long>(total));
    });
    if (!quiet) std::fprintf(stderr, "\n");
    if (!r.ok()) {
      *exit_code = Fail(r.status());
      return;
    }
    if (*json) {
      nlohmann::json j = {{"model_id", r->model_id},
                          {"faces_updated", r->faces_updated},
                          {"faces_already_current", r->faces_already_current},
                          {"images_unreachable", r->unreachable}};
      std::cout << j.dump(2) << "\n";
    } else {
      std::printf(
          "catalog now on %s: %lld faces re-embedded, %lld already current, %zu images "
          "unreachable\n",
          r->model_id.c_str(), static_cast<long long>(r->faces_updated),
          static_cast<long long>(r->faces_already_current), r->unreachable.size());
      for (const auto& u : r->unreachable) std::printf("  unreachable: %s\n", u.c_str());
    }
    if (!r->unreachable.empty()) *exit_code = ExitCodeFor(Status::FailedPrecondition(""));
  });
}

}  // namespace likeness::cli
