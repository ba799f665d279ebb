// `likeness index show` and `likeness index set KIND`: the catalog's configured index kind.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>

#include "commands.h"
#include "likeness/types.h"

namespace likeness::cli {

void RegisterIndex(CLI::App& app, GlobalFlags& flags, int* exit_code) {
  auto* cmd = app.add_subcommand("index", "show or change the catalog's search index kind");
  cmd->require_subcommand(1);

  auto* show = cmd->add_subcommand("show", "the configured and the loaded index kind");
  auto json = std::make_shared<bool>(false);
  show->add_flag("--json", *json, "JSON output");
  show->callback([&flags, json, exit_code]() {
    auto eng = OpenEngine(flags);
    if (!eng.ok()) {
      *exit_code = Fail(eng.status());
      return;
    }
    auto configured = (*eng)->catalog().IndexKind();
    if (!configured.ok()) {
      *exit_code = Fail(configured.status());
      return;
    }
    std::error_code ec;
    const auto bytes = std::filesystem::file_size((*eng)->index_path(), ec);
    nlohmann::json j = {{"configured", *configured},
                        {"active", (*eng)->index().factory()},
                        {"faces", (*eng)->index().size()},
                        {"file", (*eng)->index_path().string()},
                        {"file_bytes", ec ? 0 : bytes}};
    const std::optional<index::CodebookVersion> codebook = (*eng)->index().codebook();
    char fingerprint[17] = "";
    if (codebook) {
      std::snprintf(fingerprint, sizeof(fingerprint), "%016llx",
                    static_cast<unsigned long long>(codebook->fingerprint));
      j["codebook"] = {{"kind", codebook->kind},
                       {"recipe", codebook->recipe},
                       {"fingerprint", fingerprint},
                       {"sample_size", codebook->sample_size},
                       {"sample_seed", codebook->provenance.sample_seed},
                       {"catalog_generation", codebook->provenance.catalog_generation}};
    }
    if (*json) {
      std::cout << j.dump(2) << "\n";
      return;
    }
    std::printf("configured: %s\nactive:     %s\nfaces:      %lld\nfile:       %s (%llu bytes)\n",
                configured->empty() ? "(none: Flat)" : configured->c_str(),
                (*eng)->index().factory().c_str(), static_cast<long long>((*eng)->index().size()),
                (*eng)->index_path().string().c_str(),
                static_cast<unsigned long long>(ec ? 0 : bytes));
    if (codebook) {
      // sample seed 0 / generation 0: trained on the first Add's vectors, or a version-1 file.
      std::printf(
          "codebooks:  %s, recipe %u, fingerprint %s, trained on %lld faces (sampler seed %llu, "
          "catalog generation %llu)\n",
          codebook->kind.c_str(), codebook->recipe, fingerprint,
          static_cast<long long>(codebook->sample_size),
          static_cast<unsigned long long>(codebook->provenance.sample_seed),
          static_cast<unsigned long long>(codebook->provenance.catalog_generation));
    }
  });

  auto* set = cmd->add_subcommand(
      "set", "store KIND in the catalog and rebuild the index from the catalog's embeddings");
  auto kind = std::make_shared<std::string>();
  set->add_option("kind", *kind,
                  "Flat | Exact[,fp16|int8] | HNSW<M>[,ef=N] | IVF<n>,PQ<m>,rerank=fp16|int8 | "
                  "a FAISS factory string")
      ->required();
  set->callback([&flags, kind, exit_code]() {
    // Check the string before touching anything.
    if (auto probe = index::CreateIndex(*kind, kEmbeddingDim); !probe.ok()) {
      *exit_code = Fail(probe.status());
      return;
    }
    const auto start = std::chrono::steady_clock::now();
    flags.writer_role = "index-set";
    auto eng = OpenEngine(flags, *kind);  // loads a current index of this kind, else rebuilds
    if (!eng.ok()) {
      *exit_code = Fail(eng.status());
      return;
    }
    // Stored only after the rebuild succeeded, so a failed switch leaves the old kind configured.
    if (Status s = (*eng)->catalog().SetIndexKind(*kind); !s.ok()) {
      *exit_code = Fail(s);
      return;
    }
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("index kind set to %s: %lld faces indexed (%.1f s)\n", kind->c_str(),
                static_cast<long long>((*eng)->index().size()), s);
  });
}

}  // namespace likeness::cli
