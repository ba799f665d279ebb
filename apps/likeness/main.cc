// likeness: the command-line interface. Thin: parses flags and calls the engine.
#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>

#include "commands.h"
#include "privacy/key_folder.h"
#include "vision/inference/model.h"

int main(int argc, char** argv) {
  using namespace likeness::cli;
  cv::setNumThreads(1);  // parallelism comes from our workers, one image each
  // Bad input is reported by our own errors; OpenCV's decoder chatter would only repeat it.
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
  CLI::App app{"Likeness: lawful face search over declared photo sources"};
  app.require_subcommand(1);
  GlobalFlags flags;
  app.add_option("--data", flags.data_dir,
                 "data folder (default: $LIKENESS_DATA or ./likeness-data)");
  app.add_option(
      "--index", flags.index_factory,
      "index kind for this run (default: the catalog's, see `likeness index`; else Flat)");
  app.add_option("--min-face", flags.min_face_px, "smallest face to detect, in pixels")
      ->capture_default_str();
  app.add_flag("--no-tiling", flags.no_tiling,
               "detect on the whole frame only (faster, misses small faces)");
  app.add_option("--small-faces", flags.small_faces,
                 "also look for 16-px faces up to --min-face, in tiles around the faces found "
                 "(on|off)")
      ->check(CLI::IsMember({"on", "off"}))
      ->capture_default_str();
  app.add_option("--keys", flags.keys_root,
                 "keys root folder, outside the data folder (default: $LIKENESS_KEYS, else "
                 "~/.config/likeness/keys); the data folder's keys are in <root>/<instance id>/")
      ->each([](const std::string& root) { likeness::privacy::SetKeysRoot(root); });
  app.add_flag("-q,--quiet", flags.quiet, "no progress output");
  app.add_option("--cluster", flags.cluster_url,
                 "act as a cluster router: search the shards of the cluster on this NATS URL "
                 "(see `likeness cluster`)")
      ->envname("LIKENESS_CLUSTER");
  // Issue 13: the inference backend of every model this process loads (falls back per model).
  app.add_option_function<std::string>(
         "--backend",
         [](const std::string& name) {
           likeness::vision::inference::SetDefaultBackend(
               *likeness::vision::inference::ParseBackend(name));
         },
         "inference backend: fast (oneDNN, falls back to opencv per unsupported model; default) "
         "or opencv (OpenCV DNN)")
      ->check(CLI::IsMember({"fast", "opencv"}))
      ->envname("LIKENESS_BACKEND");
  app.add_option_function<std::string>(
         "--precision",
         [](const std::string& name) {
           likeness::vision::inference::SetDefaultPrecision(
               *likeness::vision::inference::ParsePrecision(name));
         },
         "arithmetic of the fast backend: fp32 (default) or bf16 (the embedder in bfloat16, "
         "1.3-1.6x faster on CPUs with AVX-512 BF16; embeddings differ slightly, so a catalog "
         "made in one precision keeps it: `reembed` migrates)")
      ->check(CLI::IsMember({"fp32", "bf16"}))
      ->envname("LIKENESS_PRECISION");
  app.add_option("--nats-creds", flags.nats_creds,
                 "with --cluster: the router's NATS credential file (from `cluster init "
                 "--auth-out`; or $LIKENESS_NATS_CREDS)");
  int exit_code = kExitOk;
  RegisterIngest(app, flags, &exit_code);
  RegisterSearch(app, flags, &exit_code);
  RegisterVerify(app, flags, &exit_code);
  RegisterFaces(app, flags, &exit_code);
  RegisterStats(app, flags, &exit_code);
  RegisterReembed(app, flags, &exit_code);
  RegisterIndex(app, flags, &exit_code);
  RegisterBench(app, flags, &exit_code);
  RegisterServe(app, flags, &exit_code);
  RegisterKeys(app, flags, &exit_code);
  RegisterCalibrate(app, flags, &exit_code);
  RegisterPeople(app, flags, &exit_code);
  RegisterAudit(app, flags, &exit_code);
  RegisterInit(app, flags, &exit_code);
  RegisterBackup(app, flags, &exit_code);
  RegisterErase(app, flags, &exit_code);
  RegisterPrivacy(app, flags, &exit_code);
  RegisterTenant(app, flags, &exit_code);
  RegisterSource(app, flags, &exit_code);
  RegisterCluster(app, flags, &exit_code);
  RegisterReportDemographics(app, flags, &exit_code);  // last: joins `report` if present
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  }
  return exit_code;
}
