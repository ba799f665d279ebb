// `likeness keys create|list|revoke`: the server's API keys (see src/server/api_keys.h).
#include <cstdio>
#include <iostream>

#include "catalog/catalog.h"
#include "commands.h"
#include "server/api_keys.h"

namespace likeness::cli {
namespace {

Result<std::unique_ptr<server::ApiKeyStore>> OpenKeys(const GlobalFlags& flags) {
  return server::ApiKeyStore::Open(engine::ResolveDataDir(flags.data_dir));
}

nlohmann::json KeyJson(const server::ApiKeyInfo& k) {
  return {{"id", k.id},
          {"name", k.name},
          {"role", server::RoleName(k.role)},
          {"tenant", k.tenant},
          {"created_at", k.created_at},
          {"revoked_at", k.revoked_at},
          {"attended", k.attended}};
}

}  // namespace

void RegisterKeys(CLI::App& app, GlobalFlags& flags, int* exit_code) {
  auto* keys = app.add_subcommand("keys", "API keys for `likeness serve`");
  keys->require_subcommand(1);

  struct CreateArgs {
    std::string name, role, tenant;
    bool json = false;
    bool attended = false;
  };
  auto c = std::make_shared<CreateArgs>();
  auto* create = keys->add_subcommand("create", "create a key and print it (shown only once)");
  create->add_option("--name", c->name, "who holds it (named in the audit trail)")->required();
  create
      ->add_option("--role", c->role,
                   "admin, ingest, search (investigator), auditor, privacy (officer), selfcheck")
      ->required();
  create->add_option("--tenant", c->tenant,
                     "the organisation it belongs to (default: default; register others with "
                     "`likeness tenant create`)");
  create->add_flag("--attended", c->attended,
                   "selfcheck only: an attended kiosk, bound to a device secret that only the "
                   "operator's terminal holds (printed once, on the second line); its checks show "
                   "the full report");
  create->add_flag("--json", c->json, "JSON output");
  create->callback([&flags, c, exit_code]() {
    auto role = server::ParseRole(c->role);
    if (!role.ok()) {
      *exit_code = Fail(role.status());
      return;
    }
    // A key's tenant must be a registered organisation (a typo would make an empty tenant).
    auto catalog = catalog::Catalog::Open(engine::ResolveDataDir(flags.data_dir) / "catalog.db");
    if (!catalog.ok()) {
      *exit_code = Fail(catalog.status());
      return;
    }
    if (Status known = RequireTenant(**catalog, c->tenant); !known.ok()) {
      *exit_code = Fail(known);
      return;
    }
    catalog->reset();
    auto store = OpenKeys(flags);
    if (!store.ok()) {
      *exit_code = Fail(store.status());
      return;
    }
    auto made = (*store)->Create(c->name, *role, c->tenant, c->attended);
    if (!made.ok()) {
      *exit_code = Fail(made.status());
      return;
    }
    if (c->json) {
      auto j = KeyJson(made->info);
      j["key"] = made->key;
      if (c->attended) j["device_secret"] = made->device_secret;
      std::cout << j.dump(2) << "\n";
    } else {
      std::cout << made->key << "\n";
      if (c->attended) {
        std::cout << made->device_secret << "\n";
        std::cerr << "the second line is the device secret: set it up on the kiosk terminal only "
                     "(open /selfcheck#key=KEY&device=SECRET there once)\n";
      }
      std::cerr << "key '" << made->info.name << "' (" << server::RoleName(made->info.role)
                << ", tenant " << made->info.tenant
                << ") created; this is the only time it is shown\n";
    }
  });

  auto list_json = std::make_shared<bool>(false);
  auto* list = keys->add_subcommand("list", "list keys (never the keys themselves)");
  list->add_flag("--json", *list_json, "JSON output");
  list->callback([&flags, list_json, exit_code]() {
    auto store = OpenKeys(flags);
    if (!store.ok()) {
      *exit_code = Fail(store.status());
      return;
    }
    auto all = (*store)->List();
    if (!all.ok()) {
      *exit_code = Fail(all.status());
      return;
    }
    if (*list_json) {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& k : *all) arr.push_back(KeyJson(k));
      std::cout << nlohmann::json{{"keys", arr}}.dump(2) << "\n";
      return;
    }
    std::printf("%-24s %-10s %-16s %-28s %s\n", "NAME", "ROLE", "TENANT", "CREATED", "REVOKED");
    for (const auto& k : *all) {
      std::printf("%-24s %-10s %-16s %-28s %s\n", k.name.c_str(),
                  std::string(server::RoleName(k.role)).c_str(), k.tenant.c_str(),
                  k.created_at.c_str(), k.revoked_at.empty() ? "-" : k.revoked_at.c_str());
    }
  });

  auto revoke_name = std::make_shared<std::string>();
  auto* revoke = keys->add_subcommand("revoke", "revoke a key (its name is never reused)");
  revoke->add_option("name", *revoke_name, "the key's name")->required();
  revoke->callback([&flags, revoke_name, exit_code]() {
    auto store = OpenKeys(flags);
    if (!store.ok()) {
      *exit_code = Fail(store.status());
      return;
    }
    if (Status st = (*store)->Revoke(*revoke_name); !st.ok()) {
      *exit_code = Fail(st);
      return;
    }
    std::cerr << "key '" << *revoke_name << "' revoked\n";
  });
}

}  // namespace likeness::cli
