#include <cstdio>
#include <iostream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "commands.h"
#include "gov_cli.h"
#include "imageio/decode.h"

namespace likeness::cli {

void RegisterSearch(CLI::App& app, GlobalFlags& flags, int* exit_code) {
  auto* cmd = app.add_subcommand("search", "find the people in a probe photo in the catalog");
  struct Args {
    std::string image;
    engine::SearchOptions options;
    bool json = false;
    std::string scoring = "cosine", group_by;
    JustificationFlags why;
    std::string tenant;
    float threshold = 0;
  };
  auto args = std::make_shared<Args>();
  AddJustificationFlags(cmd, args->why);
  cmd->add_option("image", args->image, "probe photo")->required();
  cmd->add_option("--tenant", args->tenant,
                  "search as this organisation: only its own sources and those shared to it");
  cmd->add_option("--top", args->options.top_k, "matches per face")->capture_default_str();
  auto* min_score =
      cmd->add_option("--min-score", args->options.min_score, "hide matches below this score");
  auto* threshold = cmd->add_option(
      "--threshold", args->threshold,
      "match decision threshold (default: the calibrated one for the target FPIR at this "
      "gallery's size; below the FPIR 1 % threshold only with --review-reason)");
  cmd->add_option("--review-candidates", args->options.review_candidates,
                  "also list up to N (at most 10) faces below the threshold per face, for human "
                  "review (needs --review-reason; recorded in the audit log)");
  cmd->add_option("--review-reason", args->options.review_reason,
                  "why sub-threshold faces are reviewed (the local operator's review right)");
  cmd->add_option("--scoring", args->scoring,
                  "cosine (raw) or hubness (2cos - gallery face's and probe's 5-NN means)")
      ->capture_default_str();
  cmd->add_option("--group-by", args->group_by, "person: fold the matches of each person together");
  cmd->add_flag("--largest", args->options.largest_only, "search only the largest face");
  cmd->add_flag("--json", args->json, "JSON output");
  cmd->callback([&flags, args, exit_code, threshold, min_score]() {
    auto scoring = engine::ParseScoring(args->scoring);
    if (!scoring.ok()) {
      *exit_code = Fail(scoring.status());
      return;
    }
    if (!args->group_by.empty() && args->group_by != "person") {
      *exit_code = Fail(Status::InvalidArgument("--group-by takes 'person'"));
      return;
    }
    args->options.scoring = *scoring;
    if (threshold->count() > 0) args->options.match_threshold = args->threshold;
    // The local operator holds the review right, exercised with a stated reason (audited).
    args->options.may_review = !args->options.review_reason.empty();
    if (min_score->count() == 0 && *scoring == engine::Scoring::kHubness)
      args->options.min_score = -4.0f;  // the hubness score's floor (2 x -1 - 1 - 1)
    auto why = MakeJustification(args->why, true);
    if (!why.ok()) {
      *exit_code = Fail(why.status().WithContext("search refused"));
      return;
    }
    auto eng = OpenGoverned(flags);
    if (!eng.ok()) {
      *exit_code = Fail(eng.status());
      return;
    }
    auto bytes = imageio::ReadFileBytes(args->image);
    if (!bytes.ok()) {
      *exit_code = Fail(bytes.status().WithContext(args->image));
      return;
    }
    if (!args->tenant.empty()) {
      if (Status known = RequireTenant(eng->engine->catalog(), args->tenant); !known.ok()) {
        *exit_code = Fail(known);
        return;
      }
      auto visible = eng->engine->catalog().VisibleSourceIds(args->tenant);
      if (!visible.ok()) {
        *exit_code = Fail(visible.status());
        return;
      }
      args->options.visible_sources =
          std::make_shared<const std::vector<int64_t>>(std::move(*visible));
      why->tenant = args->tenant;
    }
    int64_t seq = 0;
    auto r = eng->gov->Search(*why, *bytes, args->options, &seq);
    if (!r.ok()) {
      *exit_code = Fail(r.status().WithContext(args->image));
      return;
    }
    std::vector<std::vector<engine::PersonGroup>> groups;
    if (!args->group_by.empty()) {
      for (const auto& f : r->faces) {
        auto g = engine::GroupByPerson(*eng->engine, f.embedding, f.matches);
        if (!g.ok()) {
          *exit_code = Fail(g.status());
          return;
        }
        groups.push_back(std::move(*g));
      }
    }
    if (args->json) {
      auto j = ToJson(*r);
      j["probe"] = args->image;
      j["audit_seq"] = seq;
      for (size_t i = 0; i < groups.size(); ++i) {
        nlohmann::json people = nlohmann::json::array();
        for (const auto& g : groups[i]) people.push_back(ToJson(g));
        j["faces"][i]["people"] = people;
      }
      std::cout << j.dump(2) << "\n";
      return;
    }
    std::printf("probe %s (%dx%d): %zu face(s); %s scoring, decision threshold %.3f (%s)\n",
                args->image.c_str(), r->width, r->height, r->faces.size(),
                std::string(engine::ScoringName(r->scoring)).c_str(), r->threshold,
                r->client_threshold ? "set by --threshold"
                : r->calibrated     ? "calibrated for the target FPIR"
                                    : "default: catalog not calibrated");
    if (r->expected_false_matches >= 0) {
      std::printf(
          "gallery %lld faces: a stranger's search is expected to raise %.3f false matches "
          "(FPIR %.2f%%)\n",
          static_cast<long long>(r->gallery_size), r->expected_false_matches,
          100 * r->false_positive_identification_rate);
    } else {
      std::printf(
          "gallery %lld faces (run `likeness calibrate` to report expected false matches)\n",
          static_cast<long long>(r->gallery_size));
    }
    for (size_t i = 0; i < r->faces.size(); ++i) {
      const auto& f = r->faces[i];
      std::printf("face %zu at (%.0f,%.0f %.0fx%.0f): %s\n", i + 1, f.box.x1, f.box.y1,
                  f.box.width(), f.box.height(), f.matched ? "MATCH" : "no match");
      if (i < groups.size()) {
        for (const auto& g : groups[i]) {
          std::printf("  %-8s %-20s best %.3f %s %zu of %lld face(s)",
                      g.person == 0 ? "-" : std::to_string(g.person).c_str(),
                      g.person == 0    ? "(no person)"
                      : g.name.empty() ? "(unnamed)"
                                       : g.name.c_str(),
                      g.best_score, g.is_match ? "match" : "     ", g.matches.size(),
                      static_cast<long long>(g.person_faces));
          if (g.template_cosine) std::printf(", template cosine %.3f", *g.template_cosine);
          std::printf("\n");
          for (const auto& m : g.matches)
            std::printf("           face %lld %.3f (cosine %.3f) %s\n",
                        static_cast<long long>(m.face.face.id), m.score, m.cosine,
                        m.face.image.path.c_str());
        }
        continue;
      }
      std::vector<const engine::Match*> listed;
      for (const auto& m : f.matches) listed.push_back(&m);
      for (const auto& m : f.candidates) listed.push_back(&m);
      if (!f.candidates.empty())
        std::printf(
            "  (%zu candidate(s) below the threshold follow the matches: for human review "
            "only, not matches)\n",
            f.candidates.size());
      for (size_t k = 0; k < listed.size(); ++k) {
        const auto& m = *listed[k];
        const auto& s = m.face.source;
        std::printf(
            "  %2zu. %.3f (cos %.3f) %s %s  [source %s, %s/%s, %s%s%s] box (%.0f,%.0f %.0fx%.0f)\n",
            k + 1, m.score, m.cosine, m.is_match ? "match   " : "review  ",
            m.face.image.path.c_str(), s.name.c_str(), s.legal_basis.c_str(),
            s.art9_condition.c_str(), s.jurisdiction.c_str(),
            s.retain_until.empty() ? "" : ", retain until ", s.retain_until.c_str(),
            m.face.face.box.x1, m.face.face.box.y1, m.face.face.box.width(),
            m.face.face.box.height());
      }
    }
  });
}

void RegisterVerify(CLI::App& app, GlobalFlags& flags, int* exit_code) {
  auto* cmd = app.add_subcommand("verify", "are the largest faces of two photos the same person?");
  auto a = std::make_shared<std::string>();
  auto b = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto threshold = std::make_shared<float>(engine::kDefaultMatchThreshold);
  auto just = std::make_shared<JustificationFlags>();
  AddJustificationFlags(cmd, *just);
  cmd->add_option("image_a", *a)->required();
  cmd->add_option("image_b", *b)->required();
  cmd->add_option("--threshold", *threshold, "decision threshold")->capture_default_str();
  cmd->add_flag("--json", *json, "JSON output");
  cmd->callback([&flags, a, b, json, threshold, just, exit_code]() {
    auto why = MakeJustification(*just, true);
    if (!why.ok()) {
      *exit_code = Fail(why.status().WithContext("verify refused"));
      return;
    }
    auto eng = OpenGoverned(flags);
    if (!eng.ok()) {
      *exit_code = Fail(eng.status());
      return;
    }
    auto bytes_a = imageio::ReadFileBytes(*a);
    if (!bytes_a.ok()) {
      *exit_code = Fail(bytes_a.status().WithContext(*a));
      return;
    }
    auto bytes_b = imageio::ReadFileBytes(*b);
    if (!bytes_b.ok()) {
      *exit_code = Fail(bytes_b.status().WithContext(*b));
      return;
    }
    int64_t seq = 0;
    auto v = eng->gov->Verify(*why, *bytes_a, *bytes_b, *threshold, &seq);
    if (!v.ok()) {
      *exit_code = Fail(v.status());
      return;
    }
    if (*json) {
      nlohmann::json j = {{"image_a", *a},
                          {"image_b", *b},
                          {"score", v->score},
                          {"same_person", v->same_person},
                          {"threshold", v->threshold},
                          {"box_a", ToJson(v->a.box)},
                          {"box_b", ToJson(v->b.box)},
                          {"audit_seq", seq}};
      std::cout << j.dump(2) << "\n";
    } else {
      std::printf("%s: cosine %.3f (threshold %.2f)\n",
                  v->same_person ? "same person" : "different people", v->score, v->threshold);
    }
  });
}

void RegisterFaces(CLI::App& app, GlobalFlags& flags, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "faces", "detect faces, landmarks and quality in a photo, or the face tracks of a video");
  auto image = std::make_shared<std::string>();
  auto draw = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("image", *image)->required();
  cmd->add_option("--draw", *draw, "write a copy with boxes and landmarks drawn (PNG/JPEG)");
  cmd->add_flag("--json", *json, "JSON output");
  cmd->callback([&flags, image, draw, json, exit_code]() {
    engine::EngineOptions options;
    options.analyze.min_face_px = flags.min_face_px;
    options.analyze.tiling = !flags.no_tiling;
    options.analyze.small_faces = flags.small_faces == "on";
    options.analyze.embed = false;
    auto manifest = vision::BuiltinManifest();
    if (!manifest.ok()) {
      *exit_code = Fail(manifest.status());
      return;
    }
    auto models = vision::LoadVerifiedModels(*manifest, vision::DefaultModelDir());
    if (!models.ok()) {
      *exit_code = Fail(models.status());
      return;
    }
    auto analyzer = vision::FaceAnalyzer::Create(*models);
    if (!analyzer.ok()) {
      *exit_code = Fail(analyzer.status());
      return;
    }
    sources::SourceItem probe;
    probe.file = *image;
    if (engine::IsVideoItem(probe)) {
      if (!draw->empty()) {
        *exit_code = Fail(Status::InvalidArgument("--draw is for photos, not videos"));
        return;
      }
      *exit_code = PrintVideoFaces(**analyzer, *image, options, engine::VideoOptions{}, *json);
      return;
    }
    auto decoded = engine::LoadImageFile(*image, options);
    if (!decoded.ok()) {
      *exit_code = Fail(decoded.status());
      return;
    }
    auto faces = (*analyzer)->Analyze(decoded->bgr, options.analyze);
    if (!faces.ok()) {
      *exit_code = Fail(faces.status());
      return;
    }
    const float inv = static_cast<float>(1.0 / decoded->scale);
    nlohmann::json list = nlohmann::json::array();
    for (const auto& f : *faces) {
      nlohmann::json pts = nlohmann::json::array();
      for (const auto& p : f.points) pts.push_back({p.x * inv, p.y * inv});
      FaceQuality q = f.quality;
      q.face_px *= inv;
      list.push_back(
          {{"box", ToJson(BoxF{f.box.x1 * inv, f.box.y1 * inv, f.box.x2 * inv, f.box.y2 * inv})},
           {"score", f.detector_score},
           {"points", pts},
           {"quality", ToJson(q)},
           {"searchable", q.overall >= options.quality_floor}});
    }
    if (!draw->empty()) {
      cv::Mat canvas = decoded->bgr.clone();
      const int thick = std::max(2, canvas.cols / 600);
      for (const auto& f : *faces) {
        const bool ok = f.quality.overall >= options.quality_floor;
        cv::rectangle(canvas, cv::Point(static_cast<int>(f.box.x1), static_cast<int>(f.box.y1)),
                      cv::Point(static_cast<int>(f.box.x2), static_cast<int>(f.box.y2)),
                      ok ? cv::Scalar(60, 200, 60) : cv::Scalar(0, 160, 255), thick);
        for (const auto& p : f.landmarks) {
          cv::circle(canvas, cv::Point(static_cast<int>(p.x), static_cast<int>(p.y)), thick,
                     cv::Scalar(255, 200, 0), -1);
        }
        for (const auto& p : f.points) {
          cv::circle(canvas, cv::Point(static_cast<int>(p.x), static_cast<int>(p.y)), thick * 2,
                     cv::Scalar(0, 0, 255), -1);
        }
      }
      try {
        if (!cv::imwrite(*draw, canvas)) {
          *exit_code = Fail(Status::IOError("cannot write " + *draw));
          return;
        }
      } catch (const cv::Exception& ex) {
        *exit_code = Fail(Status::InvalidArgument("cannot write " + *draw + ": " + ex.what()));
        return;
      }
    }
    if (*json) {
      nlohmann::json j = {{"image", *image},
                          {"width", decoded->original_width},
                          {"height", decoded->original_height},
                          {"faces", list}};
      std::cout << j.dump(2) << "\n";
    } else {
      std::printf("%s (%dx%d): %zu face(s)\n", image->c_str(), decoded->original_width,
                  decoded->original_height, faces->size());
      for (size_t i = 0; i < list.size(); ++i) {
        const auto& f = list[i];
        std::printf("  %zu. box (%.0f,%.0f %.0fx%.0f) score %.2f quality %.2f%s\n", i + 1,
                    f["box"]["x"].get<double>(), f["box"]["y"].get<double>(),
                    f["box"]["width"].get<double>(), f["box"]["height"].get<double>(),
                    f["score"].get<double>(), f["quality"]["overall"].get<double>(),
                    f["searchable"].get<bool>() ? "" : " (below search floor)");
      }
      if (!draw->empty()) std::printf("drawn to %s\n", draw->c_str());
    }
  });
}

void RegisterStats(CLI::App& app, GlobalFlags& flags, int* exit_code) {
  auto* cmd = app.add_subcommand("stats", "catalog and index figures");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "JSON output");
  cmd->callback([&flags, json, exit_code]() {
    auto eng = OpenEngine(flags);
    if (!eng.ok()) {
      *exit_code = Fail(eng.status());
      return;
    }
    auto s = (*eng)->catalog().Stats();
    if (!s.ok()) {
      *exit_code = Fail(s.status());
      return;
    }
    nlohmann::json j = {
        {"data_dir", (*eng)->options().data_dir.string()},
        {"sources", s->sources},
        {"images", s->images},
        {"faces", s->faces},
        {"searchable_faces", s->searchable_faces},
        {"batches", s->batches},
        {"ingest_errors", s->errors},
        {"model_id", s->model_id},
        {"schema_version", s->schema_version},
        {"index", {{"kind", (*eng)->index().factory()}, {"vectors", (*eng)->index().size()}}}};
    // Issue 13: which inference backend runs each model in this process (--backend, with the
    // per-model fallback to OpenCV and its reason).
    std::string inference_line;
    if (auto analyzer = (*eng)->NewAnalyzer(); analyzer.ok()) {
      nlohmann::json models = nlohmann::json::array();
      for (const auto& m : (*analyzer)->inference_info()) {
        models.push_back({{"role", m.role},
                          {"backend", m.backend},
                          {"precision", m.precision},
                          {"fallback_reason", m.fallback_reason},
                          {"gflop_per_item", m.gflop_per_item}});
        inference_line += (inference_line.empty() ? "" : ", ") + m.role + " " + m.backend +
                          (m.precision == "bf16" ? " bf16" : "") +
                          (m.fallback_reason.empty() ? "" : " (fallback)");
      }
      j["inference"] = {
          {"backend",
           std::string(vision::inference::BackendName(vision::inference::DefaultBackend()))},
          {"precision", std::string(vision::inference::PrecisionName((*eng)->options().precision))},
          {"models", models}};
    } else {
      j["inference"] = {{"error", analyzer.status().message()}};
      inference_line = "unavailable: " + analyzer.status().message();
    }
    if (*json) {
      std::cout << j.dump(2) << "\n";
    } else {
      std::printf(
          "data folder   %s\nsources       %lld\nimages        %lld\nfaces         %lld (%lld "
          "searchable)\n"
          "ingest errors %lld\nmodel         %s\nindex         %s, %lld vectors\nschema        "
          "v%d\n",
          j["data_dir"].get<std::string>().c_str(), static_cast<long long>(s->sources),
          static_cast<long long>(s->images), static_cast<long long>(s->faces),
          static_cast<long long>(s->searchable_faces), static_cast<long long>(s->errors),
          s->model_id.empty() ? "(none yet)" : s->model_id.c_str(),
          (*eng)->index().factory().c_str(), static_cast<long long>((*eng)->index().size()),
          s->schema_version);
      std::printf("inference     %s: %s\n",
                  vision::inference::BackendName(vision::inference::DefaultBackend()).data(),
                  inference_line.c_str());
    }
  });
}

}  // namespace likeness::cli
