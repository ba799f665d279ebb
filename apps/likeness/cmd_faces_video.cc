// `likeness faces VIDEO`: the tracks of a video (sampled, detected, embedded and linked exactly as
// ingest does), each with its first and last time and its best faces, without storing anything.
#include <cstdio>
#include <iostream>
#include <map>

#include "commands.h"
#include "engine/video_ingest.h"

namespace likeness::cli {

int PrintVideoFaces(vision::FaceAnalyzer& analyzer, const std::string& path,
                    const engine::EngineOptions& options, const engine::VideoOptions& video,
                    bool json) {
  auto decoder = videoio::VideoDecoder::OpenFile(path, video.limits, video.decode);
  if (!decoder.ok()) return Fail(decoder.status().WithContext(path));
  vision::AnalyzeOptions analyze = options.analyze;
  analyze.embed = true;  // the tracker compares embeddings
  const float floor = options.quality_floor;
  auto analysed = engine::AnalyzeVideo(
      [floor](vision::AnalyzedFace&& f) {
        catalog::FaceRecord r;
        r.box = f.box;
        r.points = f.points;
        r.quality = f.quality;
        r.searchable = f.quality.overall >= floor;
        r.embedding = std::move(f.embedding);
        return r;
      },
      analyzer, **decoder, analyze, video, {});
  if (!analysed.ok()) return Fail(analysed.status().WithContext(path));
  const engine::AnalyzedVideo& v = *analysed;
  std::map<int64_t, nlohmann::json> tracks;
  for (const auto& f : v.faces) {
    nlohmann::json& t = tracks[f.video->track_id];
    if (t.is_null()) {
      t = {{"track_id", f.video->track_id},
           {"first_s", f.video->track_first_s},
           {"last_s", f.video->track_last_s},
           {"faces", nlohmann::json::array()}};
    }
    t["faces"].push_back({{"time_offset_s", f.video->time_offset_s},
                          {"box", ToJson(f.box)},
                          {"quality", ToJson(f.quality)},
                          {"searchable", f.searchable}});
  }
  nlohmann::json list = nlohmann::json::array();
  for (auto& [id, t] : tracks) list.push_back(std::move(t));
  if (json) {
    nlohmann::json j = {{"video", path},
                        {"format", std::string(videoio::ContainerName(v.info.container))},
                        {"codec", v.info.codec},
                        {"width", v.info.width},
                        {"height", v.info.height},
                        {"duration_s", std::max(v.decoded_s, v.info.duration_s)},
                        {"frames_decoded", v.frames},
                        {"frames_sampled", v.sampled},
                        {"scene_cuts", v.cuts},
                        {"detections", v.detections},
                        {"tracks", list}};
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  std::printf("%s (%s %s %dx%d, %.1f s): %lld frame(s) sampled, %zu track(s)\n", path.c_str(),
              std::string(videoio::ContainerName(v.info.container)).c_str(), v.info.codec.c_str(),
              v.info.width, v.info.height, std::max(v.decoded_s, v.info.duration_s),
              static_cast<long long>(v.sampled), list.size());
  for (const auto& t : list) {
    std::printf("  track %lld: %.2f-%.2f s, %zu face(s) kept\n",
                static_cast<long long>(t["track_id"].get<int64_t>()), t["first_s"].get<double>(),
                t["last_s"].get<double>(), t["faces"].size());
    for (const auto& f : t["faces"]) {
      std::printf("    at %.2f s: box (%.0f,%.0f %.0fx%.0f) quality %.2f%s\n",
                  f["time_offset_s"].get<double>(), f["box"]["x"].get<double>(),
                  f["box"]["y"].get<double>(), f["box"]["width"].get<double>(),
                  f["box"]["height"].get<double>(), f["quality"]["overall"].get<double>(),
                  f["searchable"].get<bool>() ? "" : " (below search floor)");
    }
  }
  return kExitOk;
}

}  // namespace likeness::cli
