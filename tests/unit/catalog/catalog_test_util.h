// Record builders and raw-SQL helpers shared by the catalog tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/sqlite_db.h"
#include "likeness/types.h"

namespace likeness::catalog::testing {

inline constexpr char kModelA[] = "fr-model-a";
inline constexpr char kModelB[] = "fr-model-b";

inline SourceRecord MakeSource(const std::string& name) {
  SourceRecord s;
  s.name = name;
  s.kind = SourceKind::kFolder;
  s.location = "/data/" + name;
  s.collector = "Records Office";
  s.legal_basis = "art6-1-e";
  s.art9_condition = "art9-2-g";
  s.jurisdiction = "DE";
  s.retain_until = "2030-12-31";
  return s;
}

inline ImageRecord MakeImage(int64_t source_id, const std::string& hash) {
  ImageRecord im;
  im.source_id = source_id;
  im.content_hash = hash;
  im.path = "/data/" + hash + ".jpg";
  im.format = "jpeg";
  im.width = 640;
  im.height = 480;
  im.bytes = 12345;
  return im;
}

// A face whose every field depends on `seed`, so round trips can be compared exactly.
inline FaceRecord MakeFace(const std::string& model_id, float seed) {
  FaceRecord f;
  f.box = {10 + seed, 20 + seed, 110.5f + seed, 140.25f + seed};
  for (size_t i = 0; i < f.points.size(); ++i) {
    f.points[i] = {30 + seed + static_cast<float>(i), 40 + seed - static_cast<float>(i) * 0.5f};
  }
  f.quality = {100 + seed, 55.5f + seed, -12.5f, 3.25f, 1.125f, 0.875f, 0.75f};
  f.searchable = true;
  f.model_id = model_id;
  f.embedding.resize(kEmbeddingDim);
  for (int i = 0; i < kEmbeddingDim; ++i)
    f.embedding[i] = seed * 0.01f + static_cast<float>(i) * 1e-4f;
  return f;
}

inline std::vector<FaceRecord> MakeFaces(const std::string& model_id, int n, float seed = 1) {
  std::vector<FaceRecord> faces;
  for (int i = 0; i < n; ++i) faces.push_back(MakeFace(model_id, seed + static_cast<float>(i)));
  return faces;
}

// A second, raw connection to the catalog file (for checks the Catalog API does not offer).
inline std::unique_ptr<sqlite::Db> RawOpen(const std::filesystem::path& path) {
  auto db = sqlite::Db::Open(path);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return db.ok() ? std::move(db).value() : nullptr;
}

inline int64_t RawInt(sqlite::Db& db, const std::string& sql) {
  auto v = db.QueryInt64(sql);
  EXPECT_TRUE(v.ok()) << sql << ": " << v.status().ToString();
  return v.ok() ? *v : -1;
}

inline std::string RawText(sqlite::Db& db, const std::string& sql) {
  auto v = db.QueryText(sql);
  EXPECT_TRUE(v.ok()) << sql << ": " << v.status().ToString();
  return v.ok() ? *v : "";
}

}  // namespace likeness::catalog::testing
