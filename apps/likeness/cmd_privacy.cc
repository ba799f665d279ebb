// likeness policy | retention | optout | access | report | master-key: the privacy officer's
// commands. Each acts through the governance facade, so every change is audited.
#include <cstdio>
#include <fstream>

#include "commands.h"
#include "common/hash.h"
#include "gov_cli.h"
#include "governance/access.h"
#include "governance/optout.h"
#include "governance/policy_ops.h"
#include "governance/report.h"
#include "governance/retention.h"
#include "imageio/decode.h"
#include "privacy/master_key.h"

namespace likeness::cli {

namespace {

// Runs `body` with an open governed engine and the officer's justification; prints its JSON.
void RunGoverned(
    const GlobalFlags& flags, const JustificationFlags& jf, const char* purpose, int* exit_code,
    const std::function<Result<nlohmann::json>(GovernedEngine&, const governance::Justification&)>&
        body) {
  auto why = MakeJustification(jf, false, purpose, "art6-1-c");
  if (!why.ok()) {
    *exit_code = Fail(why.status().WithContext(std::string(purpose) + " refused"));
    return;
  }
  auto g = OpenGoverned(flags);
  if (!g.ok()) {
    *exit_code = Fail(g.status());
    return;
  }
  auto out = body(*g, *why);
  if (!out.ok()) {
    *exit_code = Fail(out.status());
    return;
  }
  PrintJson(*out);
}

void RegisterPolicy(CLI::App& app, GlobalFlags& flags, int* exit_code) {
  auto* cmd = app.add_subcommand("policy", "collection policy: blocked jurisdictions, retention");
  cmd->require_subcommand(1);
  auto jf = std::make_shared<JustificationFlags>();
  auto cc = std::make_shared<std::string>();
  auto days = std::make_shared<int>(0);
  auto* block = cmd->add_subcommand("block-jurisdiction", "stop all collection in a country");
  block->add_option("code", *cc, "ISO 3166-1 alpha-2")->required();
  AddJustificationFlags(block, *jf);
  block->callback([&flags, jf, cc, exit_code]() {
    RunGoverned(flags, *jf, "policy change", exit_code, [cc](auto& g, const auto& why) {
      return governance::BlockJurisdiction(*g.gov, *cc, why);
    });
  });
  auto* unblock = cmd->add_subcommand("unblock-jurisdiction", "allow collection again");
  unblock->add_option("code", *cc, "ISO 3166-1 alpha-2")->required();
  AddJustificationFlags(unblock, *jf);
  unblock->callback([&flags, jf, cc, exit_code]() {
    RunGoverned(flags, *jf, "policy change", exit_code, [cc](auto& g, const auto& why) {
      return governance::UnblockJurisdiction(*g.gov, *cc, why);
    });
  });
  auto* retention = cmd->add_subcommand("set-default-retention",
                                        "days to keep faces of sources without --retain-until");
  retention->add_option("days", *days)->required();
  AddJustificationFlags(retention, *jf);
  retention->callback([&flags, jf, days, exit_code]() {
    RunGoverned(flags, *jf, "policy change", exit_code,
                [days](auto& g, const auto& why) -> Result<nlohmann::json> {
                  RETURN_IF_ERROR(governance::SetDefaultRetention(*g.gov, *days, why));
                  return governance::PolicyJson(*g.gov);
                });
  });
  auto* show = cmd->add_subcommand("show", "the policy in force");
  show->callback([&flags, exit_code]() {
    auto g = OpenGoverned(flags);
    if (!g.ok()) {
      *exit_code = Fail(g.status());
      return;
    }
    auto j = governance::PolicyJson(*g->gov);
    if (!j.ok()) {
      *exit_code = Fail(j.status());
      return;
    }
    PrintJson(*j);
  });
}

void RegisterRetention(CLI::App& app, GlobalFlags& flags, int* exit_code) {
  auto* cmd = app.add_subcommand("retention", "retention limits");
  cmd->require_subcommand(1);
  auto* run = cmd->add_subcommand("run", "erase every face whose retention has passed");
  auto jf = std::make_shared<JustificationFlags>();
  auto today = std::make_shared<std::string>();
  run->add_option("--today", *today, "the date to judge by (YYYY-MM-DD; default: today, UTC)");
  AddJustificationFlags(run, *jf);
  run->callback([&flags, jf, today, exit_code]() {
    flags.writer_role = "retention";
    RunGoverned(flags, *jf, "retention", exit_code, [today](auto& g, const auto& why) {
      return governance::RunRetention(*g.gov, today->empty() ? governance::TodayUtc() : *today,
                                      why);
    });
  });
}

void RegisterOptOut(CLI::App& app, GlobalFlags& flags, int* exit_code) {
  auto* cmd = app.add_subcommand("optout", "people who asked never to be held");
  cmd->require_subcommand(1);
  auto jf = std::make_shared<JustificationFlags>();
  auto photo = std::make_shared<std::string>();
  auto ref = std::make_shared<std::string>();
  auto largest = std::make_shared<bool>(false);
  auto* add = cmd->add_subcommand("add", "store the template, erase every match, block re-entry");
  add->add_option("photo", *photo)->required();
  add->add_option("--request", *ref, "the request's reference")->required();
  add->add_flag("--largest", *largest, "use the largest of several faces");
  AddJustificationFlags(add, *jf);
  add->callback([&flags, jf, photo, ref, largest, exit_code]() {
    flags.writer_role = "optout";
    RunGoverned(flags, *jf, "opt-out", exit_code,
                [&](auto& g, const auto& why) -> Result<nlohmann::json> {
                  auto bytes = imageio::ReadFileBytes(*photo);
                  if (!bytes.ok()) return bytes.status().WithContext(*photo);
                  return governance::AddOptOut(*g.gov, *bytes, *ref, *largest, why);
                });
  });
  auto* list = cmd->add_subcommand("list", "opt-out references (never the templates)");
  list->callback([&flags, exit_code]() {
    auto g = OpenGoverned(flags);
    if (!g.ok()) {
      *exit_code = Fail(g.status());
      return;
    }
    auto j = governance::ListOptOuts(*g->gov);
    if (!j.ok()) {
      *exit_code = Fail(j.status());
      return;
    }
    PrintJson(*j);
  });
  auto* withdraw = cmd->add_subcommand("withdraw", "withdraw an opt-out");
  withdraw->add_option("request", *ref)->required();
  AddJustificationFlags(withdraw, *jf);
  withdraw->callback([&flags, jf, ref, exit_code]() {
    flags.writer_role = "optout";
    RunGoverned(flags, *jf, "opt-out", exit_code,
                [ref](auto& g, const auto& why) -> Result<nlohmann::json> {
                  RETURN_IF_ERROR(governance::WithdrawOptOut(*g.gov, *ref, why));
                  return nlohmann::json{{"request", *ref}, {"withdrawn", true}};
                });
  });
}

void RegisterAccess(CLI::App& app, GlobalFlags& flags, int* exit_code) {
  auto* cmd = app.add_subcommand("access", "subject access: is this person held, where, why");
  struct Args {
    std::string photo, out, held_path, held_sha;
    bool json = false, largest = false;
    JustificationFlags why;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("photo", a->photo, "the person's photo (or use --held-path/--held-sha256)");
  cmd->add_option("--held-path", a->held_path, "start from a held image, by its stored path");
  cmd->add_option("--held-sha256", a->held_sha, "start from a held image, by content hash");
  cmd->add_option("--out", a->out, "also write the report here (JSON)");
  cmd->add_flag("--json", a->json, "JSON output (the default)");
  cmd->add_flag("--largest", a->largest, "use the largest of several faces");
  AddJustificationFlags(cmd, a->why);
  cmd->callback([&flags, a, exit_code]() {
    const int given = !a->photo.empty() + !a->held_path.empty() + !a->held_sha.empty();
    if (given != 1) {
      *exit_code = Fail(Status::InvalidArgument(
          "give exactly one of PHOTO, --held-path PATH or --held-sha256 HASH"));
      return;
    }
    RunGoverned(
        flags, a->why, "subject access", exit_code,
        [a](auto& g, const auto& why) -> Result<nlohmann::json> {
          Embedding e;
          std::string hash;
          if (!a->photo.empty()) {
            auto bytes = imageio::ReadFileBytes(a->photo);
            if (!bytes.ok()) return bytes.status().WithContext(a->photo);
            ASSIGN_OR_RETURN(auto probe,
                             governance::SingleFaceProbe(*g.engine, *bytes, a->largest));
            e = probe.faces[0].embedding;
            hash = probe.probe_sha256;
          } else {
            ASSIGN_OR_RETURN(e, governance::HeldFaceEmbedding(*g.gov, a->held_path, a->held_sha));
            hash = a->held_sha.empty() ? "held-path:" + a->held_path : "held-sha256:" + a->held_sha;
          }
          ASSIGN_OR_RETURN(auto report, governance::SubjectAccess(*g.gov, e, hash, why));
          if (!a->out.empty()) {
            std::ofstream f(a->out);
            f << report.dump(2) << "\n";
            if (!f) return Status::IOError("cannot write " + a->out);
          }
          return report;
        });
  });
}

void RegisterReport(CLI::App& app, GlobalFlags& flags, int* exit_code) {
  auto* cmd = app.add_subcommand("report", "records");
  cmd->require_subcommand(1);
  auto* processing = cmd->add_subcommand("processing", "GDPR Art. 30 record of processing");
  auto json = std::make_shared<bool>(false);
  processing->add_flag("--json", *json, "JSON output (the default)");
  processing->callback([&flags, exit_code]() {
    auto g = OpenGoverned(flags);
    if (!g.ok()) {
      *exit_code = Fail(g.status());
      return;
    }
    auto j = governance::ProcessingRecord(*g->gov);
    if (!j.ok()) {
      *exit_code = Fail(j.status());
      return;
    }
    PrintJson(*j);
  });
}

void RegisterMasterKey(CLI::App& app, GlobalFlags& flags, int* exit_code) {
  auto* cmd = app.add_subcommand("master-key", "the master key that wraps every data key");
  cmd->require_subcommand(1);
  auto* rotate = cmd->add_subcommand("rotate", "re-wrap every data key under a new master key");
  auto jf = std::make_shared<JustificationFlags>();
  AddJustificationFlags(rotate, *jf);
  rotate->callback([&flags, jf, exit_code]() {
    RunGoverned(
        flags, *jf, "key change", exit_code,
        [](auto& g, const auto& why) -> Result<nlohmann::json> {
          if (const char* env = std::getenv(privacy::kMasterKeyEnvVar); env && *env) {
            return Status::FailedPrecondition(
                "the master key comes from LIKENESS_MASTER_KEY; rotate it with a key file "
                "(unset the variable so master.key in the key folder is used)");
          }
          ASSIGN_OR_RETURN(const auto path, governance::MasterKeyPath(g.gov->data_dir()));
          const auto next = path.string() + ".new";
          std::filesystem::remove(next);
          ASSIGN_OR_RETURN(privacy::MasterKey fresh, privacy::CreateMasterKeyFile(next));
          const std::string old_id = g.gov->keys().master_key_id();
          RETURN_IF_ERROR(g.gov->keys().RotateMasterKey(std::move(fresh)));
          std::error_code ec;
          std::filesystem::rename(next, path, ec);
          if (ec) {
            return Status::IOError("keys were re-wrapped but " + next + " could not replace " +
                                   path.string() + ": move it there by hand now");
          }
          const std::string new_id = g.gov->keys().master_key_id();
          RETURN_IF_ERROR(g.gov
                              ->Record("key", why, "", 0,
                                       {{"change", "rotate-master"},
                                        {"old_master_key_id", old_id},
                                        {"new_master_key_id", new_id}})
                              .status());
          return nlohmann::json{
              {"rotated", true}, {"old_master_key_id", old_id}, {"new_master_key_id", new_id}};
        });
  });
}

}  // namespace

void RegisterPrivacy(CLI::App& app, GlobalFlags& flags, int* exit_code) {
  RegisterPolicy(app, flags, exit_code);
  RegisterRetention(app, flags, exit_code);
  RegisterOptOut(app, flags, exit_code);
  RegisterAccess(app, flags, exit_code);
  RegisterReport(app, flags, exit_code);
  RegisterMasterKey(app, flags, exit_code);
}

}  // namespace likeness::cli
