// Registration of the CLI's subcommands. Each sets *exit_code when it runs.
#pragma once

#include <CLI/CLI.hpp>

#include "cli_common.h"
#include "engine/video_ingest.h"

namespace likeness::cli {

void RegisterIngest(CLI::App& app, GlobalFlags& flags, int* exit_code);
void RegisterSearch(CLI::App& app, GlobalFlags& flags, int* exit_code);
void RegisterVerify(CLI::App& app, GlobalFlags& flags, int* exit_code);
void RegisterFaces(CLI::App& app, GlobalFlags& flags, int* exit_code);
void RegisterStats(CLI::App& app, GlobalFlags& flags, int* exit_code);
void RegisterReembed(CLI::App& app, GlobalFlags& flags, int* exit_code);
// `index show` / `index set KIND`: the catalog's index kind (cmd_index.cc).
void RegisterIndex(CLI::App& app, GlobalFlags& flags, int* exit_code);
void RegisterBench(CLI::App& app, GlobalFlags& flags, int* exit_code);
void RegisterServe(CLI::App& app, GlobalFlags& flags, int* exit_code);
void RegisterKeys(CLI::App& app, GlobalFlags& flags, int* exit_code);
void RegisterCalibrate(CLI::App& app, GlobalFlags& flags, int* exit_code);
void RegisterPeople(CLI::App& app, GlobalFlags& flags, int* exit_code);
// Adds `demographics` to the `report` command, creating it when no other module has.
void RegisterReportDemographics(CLI::App& app, GlobalFlags& flags, int* exit_code);
void RegisterAudit(CLI::App& app, GlobalFlags& flags, int* exit_code);
void RegisterErase(CLI::App& app, GlobalFlags& flags, int* exit_code);
void RegisterPrivacy(CLI::App& app, GlobalFlags& flags, int* exit_code);
void RegisterTenant(CLI::App& app, GlobalFlags& flags, int* exit_code);
void RegisterSource(CLI::App& app, GlobalFlags& flags, int* exit_code);
void RegisterCluster(CLI::App& app, GlobalFlags& flags, int* exit_code);

// `faces` on a video (cmd_faces_video.cc): prints its tracks; returns the exit code.
int PrintVideoFaces(vision::FaceAnalyzer& analyzer, const std::string& path,
                    const engine::EngineOptions& options, const engine::VideoOptions& video,
                    bool json);

}  // namespace likeness::cli
