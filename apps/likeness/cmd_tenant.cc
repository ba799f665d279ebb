// `likeness tenant create|list` and `likeness source list|share|unshare|shares`: the organisations
// this instance serves, and sharing a source with another of them (recorded in the audit chain).
// These commands open the catalog and the audit log only (no models are loaded).
#include <charconv>
#include <cstdio>
#include <iostream>

#include "catalog/catalog.h"
#include "commands.h"
#include "gov_cli.h"
#include "governance/sharing.h"
#include "privacy/audit_log.h"

namespace likeness::cli {
namespace {

Result<std::unique_ptr<catalog::Catalog>> OpenCatalog(const GlobalFlags& flags) {
  RETURN_IF_ERROR(KeysOf(flags).status());
  return catalog::Catalog::Open(engine::ResolveDataDir(flags.data_dir) / "catalog.db");
}

// A source by id (all digits) or by name.
Result<catalog::SourceRecord> FindSource(catalog::Catalog& catalog, const std::string& text) {
  int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec == std::errc() && end == text.data() + text.size()) return catalog.GetSource(id);
  return catalog.GetSourceByName(text);
}

nlohmann::json ShareJson(const catalog::ShareRecord& s) {
  return {{"id", s.id},
          {"source_id", s.source_id},
          {"tenant", s.tenant},
          {"legal_basis", s.legal_basis},
          {"reference", s.reference},
          {"granted_by", s.granted_by},
          {"granted_at", s.granted_at},
          {"revoked_by", s.revoked_by},
          {"revoked_at", s.revoked_at},
          {"revoke_reason", s.revoke_reason},
          {"active", s.active()}};
}

// Runs `body` and sets the exit code from its status.
template <typename F>
void Run(int* exit_code, F body) {
  if (Status st = body(); !st.ok()) *exit_code = Fail(st);
}

}  // namespace

void RegisterTenant(CLI::App& app, GlobalFlags& flags, int* exit_code) {
  auto* tenant = app.add_subcommand("tenant", "organisations served by this instance");
  tenant->require_subcommand(1);

  auto name = std::make_shared<std::string>();
  auto* create = tenant->add_subcommand("create", "register an organisation");
  create->add_option("name", *name, "1-64 characters of A-Z a-z 0-9 . _ @ -")->required();
  create->callback([&flags, name, exit_code]() {
    Run(exit_code, [&]() -> Status {
      ASSIGN_OR_RETURN(auto catalog, OpenCatalog(flags));
      ASSIGN_OR_RETURN(catalog::TenantRecord t, catalog->CreateTenant(*name));
      std::cerr << "tenant '" << t.name << "' created; give it keys with `likeness keys create "
                << "--tenant " << t.name << "`\n";
      return Status::Ok();
    });
  });

  auto json = std::make_shared<bool>(false);
  auto* list = tenant->add_subcommand("list", "list organisations and how many sources each owns");
  list->add_flag("--json", *json, "JSON output");
  list->callback([&flags, json, exit_code]() {
    Run(exit_code, [&]() -> Status {
      ASSIGN_OR_RETURN(auto catalog, OpenCatalog(flags));
      ASSIGN_OR_RETURN(auto tenants, catalog->ListTenants());
      ASSIGN_OR_RETURN(auto sources, catalog->ListSources());
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& t : tenants) {
        int64_t owned = 0;
        for (const auto& s : sources) owned += s.tenant == t.name ? 1 : 0;
        arr.push_back({{"name", t.name}, {"created_at", t.created_at}, {"sources", owned}});
      }
      if (*json) {
        PrintJson({{"tenants", arr}});
        return Status::Ok();
      }
      std::printf("%-24s %-28s %s\n", "TENANT", "CREATED", "SOURCES");
      for (const auto& t : arr) {
        std::printf("%-24s %-28s %lld\n", t["name"].get<std::string>().c_str(),
                    t["created_at"].get<std::string>().c_str(),
                    static_cast<long long>(t["sources"].get<int64_t>()));
      }
      return Status::Ok();
    });
  });
}

void RegisterSource(CLI::App& app, GlobalFlags& flags, int* exit_code) {
  auto* source = app.add_subcommand("source", "sources: list, share with another tenant");
  source->require_subcommand(1);

  auto list_json = std::make_shared<bool>(false);
  auto* list = source->add_subcommand("list", "list sources with their tenants");
  list->add_flag("--json", *list_json, "JSON output");
  list->callback([&flags, list_json, exit_code]() {
    Run(exit_code, [&]() -> Status {
      ASSIGN_OR_RETURN(auto catalog, OpenCatalog(flags));
      ASSIGN_OR_RETURN(auto sources, catalog->ListSources());
      if (*list_json) {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& s : sources) arr.push_back(ToJson(s));
        PrintJson({{"sources", arr}});
        return Status::Ok();
      }
      std::printf("%-6s %-28s %-20s %-12s %s\n", "ID", "NAME", "TENANT", "BASIS", "JURISDICTION");
      for (const auto& s : sources) {
        std::printf("%-6lld %-28s %-20s %-12s %s\n", static_cast<long long>(s.id), s.name.c_str(),
                    s.tenant.c_str(), s.legal_basis.c_str(), s.jurisdiction.c_str());
      }
      return Status::Ok();
    });
  });

  struct ShareArgs {
    std::string source, with, basis, reason, operator_id;
  };
  auto sa = std::make_shared<ShareArgs>();
  auto* share = source->add_subcommand("share", "let another tenant search this source");
  share->add_option("source", sa->source, "source name or id")->required();
  share->add_option("--with", sa->with, "the grantee tenant")->required();
  share->add_option("--basis", sa->basis, "GDPR Art. 6(1) basis for the grantee's processing")
      ->required();
  share->add_option("--reason", sa->reason, "the case, agreement or request reference")->required();
  share->add_option("--operator", sa->operator_id, "who grants it (default: $LIKENESS_OPERATOR)");
  share->callback([&flags, sa, exit_code]() {
    Run(exit_code, [&]() -> Status {
      ASSIGN_OR_RETURN(auto catalog, OpenCatalog(flags));
      ASSIGN_OR_RETURN(catalog::SourceRecord src, FindSource(*catalog, sa->source));
      ASSIGN_OR_RETURN(auto audit, privacy::AuditLog::Open(privacy::AuditLogOptionsForDataDir(
                                       engine::ResolveDataDir(flags.data_dir))));
      governance::Justification why{governance::ResolveOperator(sa->operator_id),
                                    "share a source with tenant " + sa->with, sa->basis,
                                    sa->reason};
      ASSIGN_OR_RETURN(catalog::ShareRecord s,
                       governance::ShareSource(*catalog, *audit, src.id, sa->with, why));
      PrintJson(ShareJson(s));
      return Status::Ok();
    });
  });

  auto ua = std::make_shared<ShareArgs>();
  auto* unshare = source->add_subcommand("unshare", "revoke a share (kept as history)");
  unshare->add_option("source", ua->source, "source name or id")->required();
  unshare->add_option("--with", ua->with, "the grantee tenant")->required();
  unshare->add_option("--reason", ua->reason, "why the share ends")->required();
  unshare->add_option("--operator", ua->operator_id,
                      "who revokes it (default: $LIKENESS_OPERATOR)");
  unshare->callback([&flags, ua, exit_code]() {
    Run(exit_code, [&]() -> Status {
      ASSIGN_OR_RETURN(auto catalog, OpenCatalog(flags));
      ASSIGN_OR_RETURN(catalog::SourceRecord src, FindSource(*catalog, ua->source));
      ASSIGN_OR_RETURN(auto audit, privacy::AuditLog::Open(privacy::AuditLogOptionsForDataDir(
                                       engine::ResolveDataDir(flags.data_dir))));
      governance::Justification why{governance::ResolveOperator(ua->operator_id), ua->reason, "",
                                    ""};
      ASSIGN_OR_RETURN(catalog::ShareRecord s,
                       governance::UnshareSource(*catalog, *audit, src.id, ua->with, why));
      PrintJson(ShareJson(s));
      return Status::Ok();
    });
  });

  auto all = std::make_shared<bool>(false);
  auto* shares = source->add_subcommand("shares", "list shares (active; --all for history)");
  shares->add_flag("--all", *all, "include revoked shares");
  shares->callback([&flags, all, exit_code]() {
    Run(exit_code, [&]() -> Status {
      ASSIGN_OR_RETURN(auto catalog, OpenCatalog(flags));
      ASSIGN_OR_RETURN(auto list, catalog->ListShares(*all));
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& s : list) arr.push_back(ShareJson(s));
      PrintJson({{"shares", arr}});
      return Status::Ok();
    });
  });
}

}  // namespace likeness::cli
