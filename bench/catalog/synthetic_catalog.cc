#include "synthetic_catalog.h"

#include <string>

#include "likeness/types.h"

namespace likeness::bench {

Result<std::vector<int64_t>> CreateBenchSources(catalog::Catalog& catalog, int count) {
  std::vector<int64_t> ids;
  for (int s = 0; s < count; ++s) {
    catalog::SourceRecord r;
    r.name = "bench-" + std::to_string(s);
    r.kind = catalog::SourceKind::kFolder;
    r.location = "/bench/" + r.name;
    r.collector = "bench";
    r.legal_basis = "art6-1-e";
    r.art9_condition = "art9-2-g";
    r.jurisdiction = "DE";
    ASSIGN_OR_RETURN(auto created, catalog.CreateSource(r));
    ids.push_back(created.id);
  }
  return ids;
}

Status AddBenchImages(catalog::Catalog& catalog, const std::vector<int64_t>& source_ids,
                      int faces) {
  if (source_ids.empty()) return Status::InvalidArgument("no sources to add images to");
  uint32_t state = 12345;
  for (int i = 0; i < faces / 2; ++i) {
    catalog::ImageRecord image;
    image.source_id = source_ids[static_cast<size_t>(i) % source_ids.size()];
    image.content_hash = "h" + std::to_string(i);
    image.path = "/bench/" + image.content_hash + ".jpg";
    image.format = "jpeg";
    image.width = 640;
    image.height = 480;
    image.bytes = 1000;
    std::vector<catalog::FaceRecord> rows(2);
    for (auto& f : rows) {
      f.box = {10, 20, 110, 140};
      f.searchable = true;
      f.model_id = "bench-model";
      f.embedding.resize(kEmbeddingDim);
      for (float& v : f.embedding) {
        state = state * 1664525u + 1013904223u;
        v = static_cast<float>(state >> 8) / 16777216.0f - 0.5f;
      }
    }
    RETURN_IF_ERROR(catalog.AddImageWithFaces(image, rows));
  }
  return Status::Ok();
}

}  // namespace likeness::bench
