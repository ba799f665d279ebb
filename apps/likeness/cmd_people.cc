// `likeness people ...`: faces grouped into people (src/openset/clustering.h), stored in
// <data>/people.db, with merge, split and name by hand.
#include <cstdio>
#include <iostream>
#include <set>

#include "commands.h"
#include "openset/clustering.h"
#include "openset/people_clustering.h"
#include "openset/people_store.h"
#include "openset_cli.h"

namespace likeness::cli {
namespace {

Result<std::unique_ptr<openset::PeopleStore>> OpenPeople(const GlobalFlags& flags) {
  return openset::PeopleStore::Open(engine::ResolveDataDir(flags.data_dir));
}

nlohmann::json ToJson(const openset::Person& p) {
  return {{"id", p.id}, {"name", p.name}, {"faces", p.faces}, {"images", p.images}};
}

Result<openset::PeopleClusterSummary> RunCluster(const GlobalFlags& flags,
                                                 const openset::ClusterOptions& o) {
  ASSIGN_OR_RETURN(auto catalog, OpenCatalogOnly(flags));
  ASSIGN_OR_RETURN(auto gallery, openset::LoadGallery(*catalog));
  ASSIGN_OR_RETURN(auto store, OpenPeople(flags));
  return openset::ClusterPeople(gallery, *store, o);
}

Result<int64_t> ParsePersonId(const std::string& s) {
  try {
    size_t used = 0;
    const long long v = std::stoll(s, &used);
    if (used == s.size() && v > 0) return static_cast<int64_t>(v);
  } catch (const std::exception&) {
  }
  return Status::InvalidArgument("not a person id: " + s);
}

// Runs `fn` and maps its status to the exit code.
template <typename Fn>
void Run(int* exit_code, Fn fn) {
  Status s = fn();
  if (!s.ok()) *exit_code = Fail(s);
}

}  // namespace

void RegisterPeople(CLI::App& app, GlobalFlags& flags, int* exit_code) {
  auto* people = app.add_subcommand(
      "people", "faces grouped into people: cluster, list, merge, split, name, show");
  people->require_subcommand(1);
  struct Args {
    bool json = false;
    openset::ClusterOptions cluster;
    std::string a, b, name;
    int64_t face = 0;
  };
  auto args = std::make_shared<Args>();

  auto* cluster = people->add_subcommand(
      "cluster",
      "group new faces into people (existing people, names, merges and splits are kept)");
  cluster->add_option("--similarity", args->cluster.similarity, "cosine for density neighbours")
      ->capture_default_str();
  cluster
      ->add_option("--min-points", args->cluster.min_points,
                   "faces within reach (itself included) for a core face")
      ->capture_default_str();
  cluster->add_flag("--json", args->json, "JSON output");
  cluster->callback([&flags, args, exit_code]() {
    Run(exit_code, [&]() -> Status {
      ASSIGN_OR_RETURN(auto s, RunCluster(flags, args->cluster));
      if (args->json) {
        std::cout << nlohmann::json{{"faces", s.faces},
                                    {"forgotten", s.forgotten},
                                    {"attached", s.attached},
                                    {"new_people", s.new_people},
                                    {"new_people_faces", s.new_faces},
                                    {"unassigned", s.noise},
                                    {"people", s.people}}
                         .dump(2)
                  << "\n";
      } else {
        std::printf(
            "%lld faces: %lld joined existing people, %lld new people (%lld faces), %lld left "
            "unassigned; %lld people in all\n",
            static_cast<long long>(s.faces), static_cast<long long>(s.attached),
            static_cast<long long>(s.new_people), static_cast<long long>(s.new_faces),
            static_cast<long long>(s.noise), static_cast<long long>(s.people));
      }
      return Status::Ok();
    });
  });

  auto* list = people->add_subcommand("list", "people, largest first");
  list->add_flag("--json", args->json, "JSON output");
  list->callback([&flags, args, exit_code]() {
    Run(exit_code, [&]() -> Status {
      ASSIGN_OR_RETURN(auto store, OpenPeople(flags));
      ASSIGN_OR_RETURN(auto all, store->List());
      if (args->json) {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& p : all) j.push_back(ToJson(p));
        std::cout << j.dump(2) << "\n";
        return Status::Ok();
      }
      std::printf("%-8s %-6s %-7s %s\n", "person", "faces", "images", "name");
      for (const auto& p : all)
        std::printf("%-8lld %-6lld %-7lld %s\n", static_cast<long long>(p.id),
                    static_cast<long long>(p.faces), static_cast<long long>(p.images),
                    p.name.c_str());
      return Status::Ok();
    });
  });

  auto* merge = people->add_subcommand(
      "merge", "merge person B into person A (refused when they share a photo)");
  merge->add_option("A", args->a, "person kept")->required();
  merge->add_option("B", args->b, "person merged into A")->required();
  merge->callback([&flags, args, exit_code]() {
    Run(exit_code, [&]() -> Status {
      ASSIGN_OR_RETURN(int64_t a, ParsePersonId(args->a));
      ASSIGN_OR_RETURN(int64_t b, ParsePersonId(args->b));
      ASSIGN_OR_RETURN(auto store, OpenPeople(flags));
      RETURN_IF_ERROR(store->Merge(a, b));
      std::printf("merged person %lld into %lld\n", static_cast<long long>(b),
                  static_cast<long long>(a));
      return Status::Ok();
    });
  });

  auto* split = people->add_subcommand("split", "move one face out of a person into a new person");
  split->add_option("PERSON", args->a, "person")->required();
  split->add_option("--face", args->face, "face id to move")->required();
  split->callback([&flags, args, exit_code]() {
    Run(exit_code, [&]() -> Status {
      ASSIGN_OR_RETURN(int64_t person, ParsePersonId(args->a));
      ASSIGN_OR_RETURN(auto store, OpenPeople(flags));
      ASSIGN_OR_RETURN(int64_t fresh, store->Split(person, args->face));
      std::printf("face %lld is now person %lld\n", static_cast<long long>(args->face),
                  static_cast<long long>(fresh));
      return Status::Ok();
    });
  });

  auto* name = people->add_subcommand("name", "name a person");
  name->add_option("PERSON", args->a, "person")->required();
  name->add_option("NAME", args->name, "name (empty to clear)")->required();
  name->callback([&flags, args, exit_code]() {
    Run(exit_code, [&]() -> Status {
      ASSIGN_OR_RETURN(int64_t person, ParsePersonId(args->a));
      ASSIGN_OR_RETURN(auto store, OpenPeople(flags));
      RETURN_IF_ERROR(store->Name(person, args->name));
      std::printf("person %lld is %s\n", static_cast<long long>(person), args->name.c_str());
      return Status::Ok();
    });
  });

  auto* show = people->add_subcommand("show", "a person's faces with their images and sources");
  show->add_option("PERSON", args->a, "person")->required();
  show->add_flag("--json", args->json, "JSON output");
  show->callback([&flags, args, exit_code]() {
    Run(exit_code, [&]() -> Status {
      ASSIGN_OR_RETURN(int64_t person, ParsePersonId(args->a));
      ASSIGN_OR_RETURN(auto store, OpenPeople(flags));
      ASSIGN_OR_RETURN(auto p, store->Get(person));
      ASSIGN_OR_RETURN(auto ids, store->FacesOf(person));
      ASSIGN_OR_RETURN(auto catalog, OpenCatalogOnly(flags));
      ASSIGN_OR_RETURN(auto faces, catalog->GetFacesWithProvenance(ids));
      if (args->json) {
        nlohmann::json j = ToJson(p);
        j["face_list"] = nlohmann::json::array();
        for (const auto& f : faces)
          j["face_list"].push_back({{"face_id", f.face.id},
                                    {"image_id", f.image.id},
                                    {"path", f.image.path},
                                    {"source", f.source.name},
                                    {"box", cli::ToJson(f.face.box)}});
        std::cout << j.dump(2) << "\n";
        return Status::Ok();
      }
      std::printf("person %lld %s: %lld faces in %lld images\n", static_cast<long long>(p.id),
                  p.name.empty() ? "(unnamed)" : p.name.c_str(), static_cast<long long>(p.faces),
                  static_cast<long long>(p.images));
      for (const auto& f : faces)
        std::printf("  face %lld  %s  (source %s)\n", static_cast<long long>(f.face.id),
                    f.image.path.c_str(), f.source.name.c_str());
      return Status::Ok();
    });
  });
}

}  // namespace likeness::cli
