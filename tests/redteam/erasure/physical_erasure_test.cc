// Attack on "erasure is physical for every index kind" (issue 12, finding 2): someone with shell
// access to the data folder after an erasure reads every file in it - catalog (decrypted with the
// keys it holds), WAL, index files, the IVF-PQ vector file, the hubness state, uploads, temporary
// files - looking for the erased face's embedding in each form an index stores it (fp32, fp16,
// int8). For each index kind the erased faces must be nowhere, while a kept face's bytes are found
// (so the scan would have seen them), and the uploaded copy of the erased photo must be gone with
// its bytes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "engine/engine.h"
#include "engine/ingest.h"
#include "folder_scan.h"
#include "governance/erasure.h"
#include "governance/governance.h"
#include "openset/people_store.h"
#include "server/upload_ingest.h"
#include "testing/random_face.h"
#include "testing/test_env.h"

namespace likeness::redteam {
namespace {
namespace fs = std::filesystem;

constexpr int kSyntheticImages = 60;  // x 5 faces: enough to train IVF4,PQ8
constexpr int kFacesPerImage = 5;

// The form in which the kind keeps its vectors on disk (what a kept face must be found as).
Form StoredForm(const std::string& kind) {
  if (kind.find("fp16") != std::string::npos) return Form::kFp16;
  if (kind.find("int8") != std::string::npos) return Form::kInt8;
  return Form::kFp32;
}

class PhysicalErasureTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(likeness::testing::ModelDir()) << "models missing: run scripts/setup";
    ASSERT_TRUE(likeness::testing::DemoPhotoDir()) << "demo photos missing: run scripts/setup";
    options_.data_dir = dir_.path() / "data";
    options_.model_dir = *likeness::testing::ModelDir();
    // The catalog is filled with the default kind first: kinds with codebooks train on it when
    // the engine is reopened with GetParam() (they cannot train on a first handful of faces).
    Open("Flat");
    auto source = engine::DeclareSource(engine_->catalog(), {.name = "synthetic",
                                                             .legal_basis = "art6-1-e",
                                                             .art9_condition = "art9-2-g",
                                                             .jurisdiction = "DE",
                                                             .collector = "test"});
    ASSERT_TRUE(source.ok()) << source.status().ToString();
    source_ = *source;
    auto batch = engine_->catalog().BeginBatch(source_.id);
    ASSERT_TRUE(batch.ok());
    std::mt19937 rng(12);
    for (int i = 0; i < kSyntheticImages; ++i) {
      catalog::ImageRecord image;
      image.source_id = source_.id;
      image.batch_id = *batch;
      image.content_hash = std::to_string(i);
      image.content_hash.resize(64, 'a');
      image.path = "/synthetic/" + std::to_string(i) + ".jpg";
      image.format = "jpeg";
      std::vector<catalog::FaceRecord> rows;
      for (int f = 0; f < kFacesPerImage; ++f) {
        rows.push_back(likeness::testing::RandomFace(rng));
        rows.back().model_id = engine_->embedding_model_id();
      }
      ASSERT_TRUE(engine_->StoreImage(image, rows).ok());
      for (const auto& r : rows) synthetic_.push_back(r.id);
    }
    ASSERT_TRUE(engine_->SaveIndex().ok());
    Open(GetParam());
    ASSERT_EQ(engine_->index().factory(), GetParam());
  }

  void Open(const std::string& kind) {
    gov_.reset();
    engine_.reset();
    options_.index_factory = kind;
    auto e = engine::Engine::Open(options_);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(*e);
    auto g = governance::Governance::Open(*engine_, "uploader");
    ASSERT_TRUE(g.ok()) << g.status().ToString();
    gov_ = std::move(*g);
  }

  Embedding Stored(int64_t face_id) {
    auto f = engine_->catalog().GetFace(face_id, true);
    EXPECT_TRUE(f.ok()) << f.status().ToString();
    return f.ok() ? f->embedding : Embedding{};
  }

  likeness::testing::TempDir dir_;
  engine::EngineOptions options_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<governance::Governance> gov_;
  catalog::SourceRecord source_;
  std::vector<int64_t> synthetic_;
};

TEST_P(PhysicalErasureTest, NoFileOfTheDataFolderHoldsAnErasedVectorInAnyForm) {
  // An upload through the server's ingest path: a copy of the photo is kept under uploads/.
  const fs::path photo = *likeness::testing::DemoPhotoDir() / "sample1.jpg";
  std::ifstream in(photo, std::ios::binary);
  const std::vector<uint8_t> photo_bytes((std::istreambuf_iterator<char>(in)), {});
  auto analyzer = engine_->NewAnalyzer();
  ASSERT_TRUE(analyzer.ok());
  const server::UploadFile file{"sample1.jpg", photo_bytes};
  auto uploaded = server::IngestUploads(*engine_, **analyzer, source_, {&file, 1});
  ASSERT_TRUE(uploaded.ok()) << uploaded.status().ToString();
  ASSERT_EQ(uploaded->images, 1);
  ASSERT_GE(uploaded->faces, 1);
  const int64_t image_id = uploaded->files.at(0).image_id;
  auto image = engine_->catalog().GetImage(image_id);
  ASSERT_TRUE(image.ok());
  ASSERT_TRUE(fs::exists(image->path)) << image->path;
  ASSERT_TRUE(engine_->SaveIndex().ok());
  // The hubness state (raw fp32 neighbourhoods) is built and saved by the first hubness search.
  ASSERT_TRUE(engine_->GalleryMeans({&synthetic_[0], 1}).ok());
  ASSERT_TRUE(engine_->hubness_maintained());
  ASSERT_TRUE(fs::exists(engine_->hubness_path()));

  auto faces = engine_->catalog().GetFacesOfImage(image_id, true);
  ASSERT_TRUE(faces.ok());
  std::vector<std::pair<int64_t, Embedding>> victims;
  for (const auto& f : *faces) victims.emplace_back(f.id, f.embedding);
  victims.emplace_back(synthetic_[7], Stored(synthetic_[7]));  // and one face of a kept photo
  const int64_t kept = synthetic_[8];
  const Embedding kept_embedding = Stored(kept);

  // The people store knows the victims too (people.db is scanned with everything else).
  {
    std::map<int64_t, int64_t> person;  // one face per photo: a person is never twice in one
    std::set<int64_t> photos;
    for (const auto& [id, e] : victims) {
      const int64_t photo_id = engine_->catalog().GetFace(id, false)->image_id;
      if (photos.insert(photo_id).second) person[id] = photo_id;
    }
    auto people = openset::PeopleStore::Open(options_.data_dir);
    ASSERT_TRUE(people.ok()) << people.status().ToString();
    ASSERT_TRUE((*people)->CreatePerson(person).ok());
  }
  // Before: the scan sees the victims (so its silence afterwards means something).
  const fs::path data = options_.data_dir;
  for (const auto& [id, e] : victims) {
    if (!engine_->index().Contains(id)) continue;  // an unsearchable face of the photo
    EXPECT_FALSE(FilesContaining(data, Needles(e, StoredForm(GetParam()))).empty()) << id;
  }

  const governance::Justification why{"dpo", "erasure", "art6-1-c", "CASE-9"};
  for (const auto& request : std::vector<governance::ErasureRequest>{
           {governance::EraseKind::kImage, std::to_string(image_id), {}},
           {governance::EraseKind::kFace, std::to_string(synthetic_[7]), {}}}) {
    auto plan = governance::PlanErasure(*gov_, request);
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    auto receipt = governance::ExecuteErasure(*gov_, *plan, why);
    ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
  }

  // Every file, every form, both ends of the vector: nothing of an erased face.
  for (const auto& [id, e] : victims) {
    EXPECT_FALSE(engine_->index().Contains(id));
    for (Form form : {Form::kFp32, Form::kFp16, Form::kInt8}) {
      const auto hits = FilesContaining(data, Needles(e, form));
      EXPECT_TRUE(hits.empty()) << "face " << id << " as " << FormName(form) << " in "
                                << ::testing::PrintToString(hits) << "; files: " << ListFiles(data);
    }
  }
  // The scan still sees a kept face in the form this kind stores.
  EXPECT_FALSE(FilesContaining(data, Needles(kept_embedding, StoredForm(GetParam()))).empty())
      << ListFiles(data);
  // The hubness file was rewritten (or removed): it holds no erased face (checked above) and, if
  // present, is current.
  if (fs::exists(engine_->hubness_path())) {
    EXPECT_TRUE(engine_->hubness_maintained());
  }
  // The uploaded copy is gone, and so are its bytes.
  EXPECT_FALSE(fs::exists(image->path));
  const std::string window(
      reinterpret_cast<const char*>(photo_bytes.data()) + photo_bytes.size() / 2, 64);
  EXPECT_TRUE(FilesContaining(data, {window}).empty());
  // Decrypted, the catalog holds none of them; a reopened engine (index from disk) neither.
  std::vector<int64_t> held;
  ASSERT_TRUE(engine_->catalog()
                  .ForEachEmbedding([&](int64_t id, bool, std::span<const float>) {
                    held.push_back(id);
                    return true;
                  })
                  .ok());
  for (const auto& [id, e] : victims) EXPECT_EQ(std::count(held.begin(), held.end(), id), 0);
  Open(GetParam());
  for (const auto& [id, e] : victims) {
    EXPECT_FALSE(engine_->index().Contains(id));
    auto hits = engine_->index().Search(e, 1);
    ASSERT_TRUE(hits.ok());
    if (!hits->at(0).empty()) {
      EXPECT_NE(hits->at(0)[0].id, id);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(EveryIndexKind, PhysicalErasureTest,
                         ::testing::Values("Flat", "Exact", "Exact,fp16", "Exact,int8", "HNSW16",
                                           "IVF4,PQ8,rerank=fp16", "IVF4,PQ8,rerank=int8"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name;
                           for (char c : info.param) name += std::isalnum(c) ? c : '_';
                           return name;
                         });

}  // namespace
}  // namespace likeness::redteam
