// likeness erase: erasure by face, image, source, batch, jurisdiction, subject or person, with a
// preview and a receipt recorded in the audit chain.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "commands.h"
#include "gov_cli.h"
#include "governance/erasure.h"
#include "imageio/decode.h"

namespace likeness::cli {

void RegisterErase(CLI::App& app, GlobalFlags& flags, int* exit_code) {
  auto* cmd = app.add_subcommand("erase", "erase faces, images and their vectors, with a receipt");
  struct Args {
    std::string face, image, source, batch, jurisdiction, subject, person;
    bool preview = false, yes = false, largest = false;
    JustificationFlags why;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--face", a->face, "one face id");
  cmd->add_option("--image", a->image, "one image id (all its faces)");
  cmd->add_option("--source", a->source, "a whole source by name (and its data key)");
  cmd->add_option("--batch", a->batch, "one ingest batch id");
  cmd->add_option("--jurisdiction", a->jurisdiction, "every source of a country (ISO code)");
  cmd->add_option("--subject", a->subject, "a probe photo: every held face matching it");
  cmd->add_option("--person", a->person,
                  "a person id (likeness people list): all their faces and their name");
  cmd->add_flag("--preview", a->preview, "list what would be erased, erase nothing");
  cmd->add_flag("--yes", a->yes, "erase without asking");
  cmd->add_flag("--largest", a->largest, "--subject: use the largest of several faces");
  AddJustificationFlags(cmd, a->why);
  cmd->callback([&flags, a, exit_code]() {
    using governance::EraseKind;
    std::vector<std::pair<EraseKind, std::string>> asked;
    if (!a->face.empty()) asked.push_back({EraseKind::kFace, a->face});
    if (!a->image.empty()) asked.push_back({EraseKind::kImage, a->image});
    if (!a->source.empty()) asked.push_back({EraseKind::kSource, a->source});
    if (!a->batch.empty()) asked.push_back({EraseKind::kBatch, a->batch});
    if (!a->jurisdiction.empty()) asked.push_back({EraseKind::kJurisdiction, a->jurisdiction});
    if (!a->subject.empty()) asked.push_back({EraseKind::kSubject, a->subject});
    if (!a->person.empty()) asked.push_back({EraseKind::kPerson, a->person});
    if (asked.size() != 1) {
      *exit_code =
          Fail(Status::InvalidArgument("name exactly one of --face, --image, --source, --batch, "
                                       "--jurisdiction, --subject, --person"));
      return;
    }
    auto why = MakeJustification(a->why, false, "erasure", "art6-1-c");
    if (!why.ok()) {
      *exit_code = Fail(why.status().WithContext("erase refused"));
      return;
    }
    auto g = OpenGoverned(flags);
    if (!g.ok()) {
      *exit_code = Fail(g.status());
      return;
    }
    governance::ErasureRequest req{asked[0].first, asked[0].second, {}};
    if (req.kind == EraseKind::kSubject) {
      auto bytes = imageio::ReadFileBytes(a->subject);
      if (!bytes.ok()) {
        *exit_code = Fail(bytes.status().WithContext(a->subject));
        return;
      }
      auto probe = governance::SingleFaceProbe(*g->engine, *bytes, a->largest);
      if (!probe.ok()) {
        *exit_code = Fail(probe.status().WithContext(a->subject));
        return;
      }
      auto matches = governance::HeldFacesMatching(*g->engine, probe->faces[0].embedding,
                                                   engine::kDefaultMatchThreshold);
      if (!matches.ok()) {
        *exit_code = Fail(matches.status());
        return;
      }
      req.value = probe->probe_sha256;  // the audit keeps the hash, never the photo
      for (const auto& m : *matches) req.face_ids.push_back(m.first);
    }
    auto plan = governance::PlanErasure(*g->gov, req);
    if (!plan.ok()) {
      *exit_code = Fail(plan.status());
      return;
    }
    auto preview = governance::PreviewJson(*g->gov, *plan);
    if (!preview.ok()) {
      *exit_code = Fail(preview.status());
      return;
    }
    if (a->preview || !a->yes) {
      PrintJson({{"preview", *preview}});
      if (a->preview) return;
      bool confirmed = false;
      if (isatty(STDIN_FILENO)) {
        std::fprintf(stderr, "erase %zu face(s) and %zu image(s)? [y/N] ", plan->face_ids.size(),
                     plan->image_ids.size());
        std::string answer;
        std::getline(std::cin, answer);
        confirmed = answer == "y" || answer == "yes";
      }
      if (!confirmed) {
        *exit_code = Fail(Status::FailedPrecondition("not confirmed (pass --yes); nothing erased"));
        return;
      }
    }
    auto receipt = governance::ExecuteErasure(*g->gov, *plan, *why);
    if (!receipt.ok()) {
      *exit_code = Fail(receipt.status());
      return;
    }
    PrintJson(receipt->json);
  });
}

}  // namespace likeness::cli
