// likeness audit verify | show: the audit chain, checked and filtered.
#include <algorithm>
#include <cstdio>

#include "commands.h"
#include "gov_cli.h"
#include "privacy/audit_anchor.h"
#include "privacy/audit_log.h"
#include "privacy/key_folder.h"
#include "privacy/legal.h"

namespace likeness::cli {

namespace {

// A bound for --since/--until: a date, or a longer timestamp prefix starting with one.
Status CheckTimeBound(const std::string& text, const char* flag) {
  if (text.empty()) return Status::Ok();
  auto d = privacy::ParseDate(text.substr(0, 10));
  if (!d.ok()) {
    return Status::InvalidArgument(std::string(flag) +
                                   " must be a date YYYY-MM-DD or a UTC "
                                   "timestamp starting with one, not '" +
                                   text + "'");
  }
  return Status::Ok();
}

nlohmann::json EntryJson(const privacy::AuditEntry& e) {
  nlohmann::json details = nlohmann::json::parse(e.details, nullptr, false);
  return {{"seq", e.seq},
          {"at", e.at},
          {"operator", e.operator_id},
          {"action", e.action},
          {"purpose", e.purpose},
          {"legal_basis", e.legal_basis},
          {"case", e.case_ref},
          {"probe_sha256", e.probe_hash},
          {"result_count", e.result_count},
          {"details", details},
          {"hash", e.hash}};
}

}  // namespace

void RegisterAudit(CLI::App& app, GlobalFlags& flags, int* exit_code) {
  auto* audit = app.add_subcommand("audit", "check and read the audit chain");
  audit->require_subcommand(1);

  auto* verify =
      audit->add_subcommand("verify", "check the whole chain and its signed checkpoints");
  auto vjson = std::make_shared<bool>(false);
  auto anchors = std::make_shared<std::vector<std::string>>();
  verify->add_flag("--json", *vjson, "JSON output");
  verify->add_option("--anchor", *anchors,
                     "an anchor file or a folder of them (`audit anchor`, `serve --anchor-dir`): "
                     "the log must still hold each anchor's record with its hash");
  verify->callback([&flags, vjson, anchors, exit_code]() {
    const auto dir = engine::ResolveDataDir(flags.data_dir);
    auto log = privacy::AuditLog::Open(privacy::AuditLogOptionsForDataDir(dir));
    if (!log.ok()) {
      *exit_code = Fail(log.status());
      return;
    }
    auto r = (*log)->Verify();
    if (!r.ok()) {
      *exit_code = Fail(r.status());
      return;
    }
    int64_t anchors_checked = 0;
    for (const std::string& where : *anchors) {
      if (!r->ok) break;
      auto read = privacy::ReadAnchors(where);
      if (!read.ok()) {
        *exit_code = Fail(read.status());
        return;
      }
      for (const auto& anchor : *read) {
        auto against = privacy::VerifyAgainstAnchor(**log, anchor);
        if (!against.ok()) {
          *exit_code = Fail(against.status());
          return;
        }
        if (!against->ok) {
          const int64_t checkpoints = r->checkpoints_checked;
          *r = *against;
          r->checkpoints_checked = checkpoints;
          r->records_checked = std::max<int64_t>(0, against->first_bad_seq - 1);
          break;
        }
        ++anchors_checked;
      }
    }
    if (*vjson) {
      PrintJson({{"ok", r->ok},
                 {"records_checked", r->records_checked},
                 {"checkpoints_checked", r->checkpoints_checked},
                 {"first_bad_seq", r->first_bad_seq},
                 {"problem", privacy::AuditProblemName(r->problem)},
                 {"anchors_checked", anchors_checked},
                 {"message", r->message},
                 {"public_key", (*log)->public_key_hex()}});
    } else if (r->ok) {
      std::printf("audit chain intact: %lld record(s), %lld signed checkpoint(s), %lld anchor(s)\n",
                  static_cast<long long>(r->records_checked),
                  static_cast<long long>(r->checkpoints_checked),
                  static_cast<long long>(anchors_checked));
      if (anchors->empty()) {
        std::printf(
            "(without --anchor, deleting the newest records together with the checkpoints "
            "above them goes unseen: verify against an anchor kept elsewhere)\n");
      }
    }
    if (!r->ok) {
      std::fprintf(stderr, "likeness: audit chain damaged at seq %lld (%s): %s\n",
                   static_cast<long long>(r->first_bad_seq),
                   std::string(privacy::AuditProblemName(r->problem)).c_str(), r->message.c_str());
      *exit_code = ExitCodeFor(Status::Corruption(""));
    }
  });

  auto* anchor = audit->add_subcommand(
      "anchor",
      "export the signed head of the log (seq, hash, time) to a file outside the data "
      "folder, for `audit verify --anchor`");
  struct AnchorArgs {
    std::string out;
    bool json = false;
  };
  auto an = std::make_shared<AnchorArgs>();
  anchor->add_option("--out", an->out, "the anchor file to write (outside the data folder)")
      ->required();
  anchor->add_flag("--json", an->json, "JSON output (the anchor itself)");
  anchor->callback([&flags, an, exit_code]() {
    const auto dir = engine::ResolveDataDir(flags.data_dir);
    auto log = privacy::AuditLog::Open(privacy::AuditLogOptionsForDataDir(dir));
    if (!log.ok()) {
      *exit_code = Fail(log.status());
      return;
    }
    auto keys = privacy::OpenKeyFolder(dir);
    if (!keys.ok()) {
      *exit_code = Fail(keys.status());
      return;
    }
    auto made = privacy::MakeAnchor(**log, keys->instance_id);
    if (!made.ok()) {
      *exit_code = Fail(made.status());
      return;
    }
    if (Status st = privacy::WriteAnchorFile(*made, an->out, dir); !st.ok()) {
      *exit_code = Fail(st);
      return;
    }
    if (an->json) {
      PrintJson(nlohmann::json::parse(privacy::AnchorJson(*made)));
      return;
    }
    std::printf("anchored the audit log at seq %lld (hash %s, %s) in %s\n",
                static_cast<long long>(made->seq), made->hash.substr(0, 16).c_str(),
                made->at.c_str(), an->out.c_str());
  });

  auto* show = audit->add_subcommand("show", "list audit records");
  struct ShowArgs {
    std::string op, case_ref, action, since, until;
    int64_t limit = 1000;
    bool json = false;
  };
  auto a = std::make_shared<ShowArgs>();
  show->add_option("--operator", a->op, "only this operator");
  show->add_option("--case", a->case_ref, "only this case");
  show->add_option("--action", a->action, "only this action (search, verify, ingest, erase, ...)");
  show->add_option("--since", a->since, "from this UTC date/time (inclusive)");
  show->add_option("--until", a->until, "before this UTC date/time (exclusive)");
  show->add_option("--limit", a->limit, "at most this many")->capture_default_str();
  show->add_flag("--json", a->json, "JSON output");
  show->callback([&flags, a, exit_code]() {
    for (auto [v, f] : {std::pair{&a->since, "--since"}, std::pair{&a->until, "--until"}}) {
      if (Status s = CheckTimeBound(*v, f); !s.ok()) {
        *exit_code = Fail(s);
        return;
      }
    }
    if (a->limit <= 0) {
      *exit_code = Fail(Status::InvalidArgument("--limit must be positive"));
      return;
    }
    const auto dir = engine::ResolveDataDir(flags.data_dir);
    auto log = privacy::AuditLog::Open(privacy::AuditLogOptionsForDataDir(dir));
    if (!log.ok()) {
      *exit_code = Fail(log.status());
      return;
    }
    privacy::AuditQuery q;
    if (!a->op.empty()) q.operator_id = a->op;
    if (!a->case_ref.empty()) q.case_ref = a->case_ref;
    if (!a->action.empty()) q.action = a->action;
    q.from = a->since;
    q.to = a->until;
    q.limit = a->limit;
    auto entries = (*log)->Query(q);
    if (!entries.ok()) {
      *exit_code = Fail(entries.status());
      return;
    }
    if (a->json) {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& e : *entries) list.push_back(EntryJson(e));
      PrintJson({{"entries", list}});
      return;
    }
    for (const auto& e : *entries) {
      std::printf("%6lld %s %-10s %-14s case=%s purpose=%s basis=%s results=%lld%s%s\n",
                  static_cast<long long>(e.seq), e.at.c_str(), e.action.c_str(),
                  e.operator_id.c_str(), e.case_ref.c_str(), e.purpose.c_str(),
                  e.legal_basis.c_str(), static_cast<long long>(e.result_count),
                  e.probe_hash.empty() ? "" : " probe=", e.probe_hash.substr(0, 16).c_str());
    }
  });
}

}  // namespace likeness::cli
