// likeness erase: erasure by face, image, source, batch, jurisdiction, subject or person, with a
// preview and a receipt recorded in the audit chain.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iostream>

#include "commands.h"
#include "common/hash.h"
#include "gov_cli.h"
#include "governance/erasure.h"
#include "imageio/decode.h"

namespace likeness::cli {
namespace {

// `likeness erase lift`: a privacy officer lifts the erasure record of one photo so that it may be
// ingested again, when a lawful basis to hold it returns (audited as "erase_lift").
CLI::App* RegisterEraseLift(CLI::App* erase, GlobalFlags& flags, int* exit_code) {
  auto* cmd = erase->add_subcommand(
      "lift", "let one erased photo be ingested again (a lawful basis returned); audited");
  struct Args {
    std::string image_file, hash, reason;
    JustificationFlags why;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--image-file", a->image_file, "the photo (its content hash is computed)");
  cmd->add_option("--hash", a->hash, "the photo's SHA-256 (64 hex digits)");
  cmd->add_option("--reason", a->reason, "the lawful basis that returned (recorded)")->required();
  AddJustificationFlags(cmd, a->why);
  cmd->callback([&flags, a, exit_code]() {
    if (a->image_file.empty() == a->hash.empty()) {
      *exit_code = Fail(Status::InvalidArgument("name exactly one of --image-file, --hash"));
      return;
    }
    std::string hash = a->hash;
    if (!a->image_file.empty()) {
      auto hashed = Sha256FileHex(a->image_file);
      if (!hashed.ok()) {
        *exit_code = Fail(hashed.status().WithContext(a->image_file));
        return;
      }
      hash = *hashed;
    }
    std::transform(hash.begin(), hash.end(), hash.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto why = MakeJustification(a->why, false, "lift an erasure", "art6-1-c");
    if (!why.ok()) {
      *exit_code = Fail(why.status().WithContext("erase lift refused"));
      return;
    }
    flags.writer_role = "erase";
    auto g = OpenGoverned(flags);
    if (!g.ok()) {
      *exit_code = Fail(g.status());
      return;
    }
    auto out = governance::LiftErasedContent(*g->gov, hash, a->reason, *why);
    if (!out.ok()) {
      *exit_code = Fail(out.status());
      return;
    }
    PrintJson(*out);
  });
  return cmd;
}

}  // namespace

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
  CLI::App* lift = RegisterEraseLift(cmd, flags, exit_code);
  cmd->callback([&flags, a, exit_code, lift]() {
    using governance::EraseKind;
    if (lift->parsed()) return;  // `erase lift` ran its own callback
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
    flags.writer_role = "erase";
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
