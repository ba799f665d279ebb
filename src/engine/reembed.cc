#include "engine/reembed.h"

#include <map>

#include "common/hash.h"

namespace likeness::engine {

Result<ReembedReport> Reembed(Engine& engine, const ProgressFn& progress) {
  ReembedReport report;
  report.model_id = engine.embedding_model_id();
  std::vector<int64_t> face_ids;
  RETURN_IF_ERROR(engine.catalog().ForEachEmbedding([&](int64_t id, bool, std::span<const float>) {
    face_ids.push_back(id);
    return true;
  }));
  std::map<int64_t, std::vector<catalog::FaceRecord>> by_image;
  for (int64_t id : face_ids) {
    ASSIGN_OR_RETURN(catalog::FaceRecord face, engine.catalog().GetFace(id, false));
    if (face.model_id == report.model_id) {
      ++report.faces_already_current;
      continue;
    }
    by_image[face.image_id].push_back(std::move(face));
  }
  ASSIGN_OR_RETURN(auto analyzer, engine.NewAnalyzer());
  int64_t done = 0;
  const int64_t total = static_cast<int64_t>(by_image.size());
  for (auto& [image_id, faces] : by_image) {
    ASSIGN_OR_RETURN(catalog::ImageRecord image, engine.catalog().GetImage(image_id));
    std::vector<uint8_t> bytes;
    auto decoded = LoadImageFile(image.path, engine.options(), &bytes);
    if (!decoded.ok() || Sha256Hex(bytes) != image.content_hash) {
      report.unreachable.push_back(image.path);
      if (progress) progress(++done, total);
      continue;
    }
    std::vector<cv::Mat> crops;
    for (const auto& f : faces) {
      FivePoints pts = f.points;
      for (auto& p : pts)
        p.x *= static_cast<float>(decoded->scale), p.y *= static_cast<float>(decoded->scale);
      crops.push_back(analyzer->Align(decoded->bgr, pts));
    }
    ASSIGN_OR_RETURN(auto embeddings,
                     analyzer->Embed(crops, engine.options().analyze.flip_augment));
    for (size_t i = 0; i < faces.size(); ++i) {
      RETURN_IF_ERROR(
          engine.catalog().UpdateEmbedding(faces[i].id, report.model_id, embeddings[i]));
      ++report.faces_updated;
    }
    if (progress) progress(++done, total);
  }
  RETURN_IF_ERROR(engine.RebuildIndex());
  return report;
}

}  // namespace likeness::engine
