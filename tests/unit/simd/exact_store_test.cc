// ExactStore: add/remove/search semantics, batch and thread paths, precision agreement,
// persistence.
#include "simd/exact_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <iterator>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "testing/test_env.h"

namespace likeness::simd {
namespace {

constexpr Precision kPrecisions[] = {Precision::kFp32, Precision::kFp16, Precision::kInt8};

void Normalize(float* v, int64_t dim) {
  double norm = 0;
  for (int64_t i = 0; i < dim; ++i) norm += double{v[i]} * v[i];
  const auto inv = static_cast<float>(1.0 / std::sqrt(norm));
  for (int64_t i = 0; i < dim; ++i) v[i] *= inv;
}

std::vector<float> UnitVectors(int64_t n, int64_t dim, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g;
  std::vector<float> v(static_cast<size_t>(n * dim));
  for (float& x : v) x = g(rng);
  for (int64_t i = 0; i < n; ++i) Normalize(v.data() + i * dim, dim);
  return v;
}

// Faces of identities: face = normalize(sqrt(w) * centre + sqrt(1 - w) * noise) with a per-face
// "quality" w uniform in [0.5, 0.9]; two faces of one identity have cosine sqrt(w1 * w2) ~ 0.7 +-
// 0.08 and faces of different identities ~0 +- 1/sqrt(dim) (the benchmark's generator,
// bench/index/synthetic_faces.h).
struct Clustered {
  std::vector<float> faces, queries;
};
Clustered MakeClustered(int64_t identities, int64_t per_identity, int64_t dim, uint64_t seed) {
  const std::vector<float> centres = UnitVectors(identities, dim, seed);
  const std::vector<float> noise = UnitVectors(identities * (per_identity + 1), dim, seed + 1);
  std::mt19937_64 rng(seed + 2);
  std::uniform_real_distribution<float> quality(0.5f, 0.9f);
  Clustered c;
  for (int64_t i = 0; i < identities; ++i) {
    for (int64_t f = 0; f <= per_identity; ++f) {
      std::vector<float>& out = f < per_identity ? c.faces : c.queries;
      const size_t at = out.size();
      const float w = quality(rng);
      const float a = std::sqrt(w), b = std::sqrt(1 - w);
      for (int64_t d = 0; d < dim; ++d) {
        out.push_back(a * centres[static_cast<size_t>(i * dim + d)] +
                      b * noise[static_cast<size_t>((i * (per_identity + 1) + f) * dim + d)]);
      }
      Normalize(out.data() + at, dim);
    }
  }
  return c;
}

std::vector<int64_t> Iota(int64_t n, int64_t start = 0) {
  std::vector<int64_t> ids(static_cast<size_t>(n));
  std::iota(ids.begin(), ids.end(), start);
  return ids;
}

ExactStore MakeStore(int dim, Precision p, std::optional<SimdLevel> simd = std::nullopt) {
  Result<ExactStore> s = ExactStore::Create(dim, StoreOptions{p, simd});
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return std::move(s).value();
}

std::vector<int64_t> HitIds(const std::vector<Hit>& hits) {
  std::vector<int64_t> ids;
  for (const Hit& h : hits) ids.push_back(h.id);
  return ids;
}

TEST(ExactStoreTest, CreateRejectsBadDim) {
  EXPECT_EQ(ExactStore::Create(0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ExactStore::Create(kMaxDim + 1).status().code(), StatusCode::kInvalidArgument);
}

TEST(ExactStoreTest, AddSearchFindsEachVectorItselfInEveryPrecisionAndVariant) {
  constexpr int kDim = 128;
  const int64_t n = 1003;
  const std::vector<float> v = UnitVectors(n, kDim, 11);
  const std::vector<int64_t> ids = Iota(n, 5000);
  for (Precision p : kPrecisions) {
    for (SimdLevel level : {SimdLevel::kScalar, SimdLevel::kAvx2, SimdLevel::kAvx512}) {
      if (!CpuSupports(level)) {
        EXPECT_EQ(ExactStore::Create(kDim, StoreOptions{p, level}).status().code(),
                  StatusCode::kUnsupported);
        continue;
      }
      SCOPED_TRACE(std::string(PrecisionName(p)) + "/" + std::string(SimdLevelName(level)));
      ExactStore store = MakeStore(kDim, p, level);
      ASSERT_TRUE(store.Add(ids, v).ok());
      EXPECT_EQ(store.size(), n);
      EXPECT_TRUE(store.Contains(5000 + 17));
      EXPECT_FALSE(store.Contains(17));
      // 40 queries: the fp32 batch goes through sgemm, the others through the tiled kernels.
      const std::span<const float> queries(v.data(), 40 * kDim);
      Result<std::vector<std::vector<Hit>>> batch = store.Search(queries, 5);
      ASSERT_TRUE(batch.ok()) << batch.status().ToString();
      for (int64_t q = 0; q < 40; ++q) {
        const std::vector<Hit>& hits = (*batch)[static_cast<size_t>(q)];
        ASSERT_EQ(hits.size(), 5u);
        EXPECT_EQ(hits[0].id, 5000 + q);
        EXPECT_NEAR(hits[0].score, 1.0f, p == Precision::kFp32 ? 1e-5f : 2e-2f);
        EXPECT_TRUE(std::is_sorted(hits.begin(), hits.end(),
                                   [](const Hit& a, const Hit& b) { return a.score > b.score; }));
        // A single-query search returns the same ranking with the same scores (within rounding).
        Result<std::vector<std::vector<Hit>>> one =
            store.Search(queries.subspan(static_cast<size_t>(q * kDim), kDim), 5);
        ASSERT_TRUE(one.ok());
        EXPECT_EQ(HitIds((*one)[0]), HitIds(hits));
        for (size_t i = 0; i < hits.size(); ++i) {
          EXPECT_NEAR((*one)[0][i].score, hits[i].score, 1e-5f);
        }
      }
    }
  }
}

TEST(ExactStoreTest, AddIsAllOrNothing) {
  constexpr int kDim = 16;
  ExactStore store = MakeStore(kDim, Precision::kFp16);
  std::vector<float> v = UnitVectors(4, kDim, 1);
  ASSERT_TRUE(store.Add(Iota(4), v).ok());
  EXPECT_EQ(store.Add(std::vector<int64_t>{10, 11}, std::span(v).first(kDim)).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store.Add(std::vector<int64_t>{10, 3}, std::span(v).first(2 * kDim)).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(store.Add(std::vector<int64_t>{10, 10}, std::span(v).first(2 * kDim)).code(),
            StatusCode::kAlreadyExists);
  std::vector<float> bad(v.begin(), v.begin() + 2 * kDim);
  bad[kDim + 3] = NAN;
  EXPECT_EQ(store.Add(std::vector<int64_t>{10, 11}, bad).code(), StatusCode::kInvalidArgument);
  bad[kDim + 3] = 70000.0f;  // beyond fp16
  EXPECT_EQ(store.Add(std::vector<int64_t>{10, 11}, bad).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store.size(), 4);
  EXPECT_FALSE(store.Contains(10));
}

TEST(ExactStoreTest, SearchValidatesInput) {
  ExactStore store = MakeStore(8, Precision::kFp32);
  const std::vector<float> q(8, 0.5f);
  Result<std::vector<std::vector<Hit>>> empty = store.Search(q, 3);
  ASSERT_TRUE(empty.ok());
  ASSERT_EQ(empty->size(), 1u);
  EXPECT_TRUE((*empty)[0].empty());
  ASSERT_TRUE(store.Add(Iota(2), UnitVectors(2, 8, 3)).ok());
  EXPECT_EQ(store.Search(q, 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store.Search(std::span(q).first(7), 1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store.Search(q, 1, SearchOptions{0}).status().code(), StatusCode::kInvalidArgument);
  std::vector<float> nan_q = q;
  nan_q[2] = NAN;
  EXPECT_EQ(store.Search(nan_q, 1).status().code(), StatusCode::kInvalidArgument);
  Result<std::vector<std::vector<Hit>>> all = store.Search(q, 10);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ((*all)[0].size(), 2u);  // k is capped at size()
}

TEST(ExactStoreTest, RemoveCompactsAndRemovedIdsNeverReturn) {
  constexpr int kDim = 32;
  const int64_t n = 500;
  const std::vector<float> v = UnitVectors(n, kDim, 21);
  for (Precision p : kPrecisions) {
    SCOPED_TRACE(PrecisionName(p));
    ExactStore store = MakeStore(kDim, p);
    ASSERT_TRUE(store.Add(Iota(n), v).ok());
    std::vector<int64_t> gone;
    for (int64_t id = 0; id < n; id += 3) gone.push_back(id);
    gone.push_back(n - 1);      // the last row itself
    gone.push_back(123456789);  // unknown: ignored
    gone.push_back(0);          // repeated: ignored
    const int64_t removed = store.Remove(gone);
    const int64_t expected_removed = static_cast<int64_t>(gone.size()) - 2;
    EXPECT_EQ(removed, expected_removed);
    EXPECT_EQ(store.size(), n - expected_removed);
    EXPECT_EQ(store.Remove(gone), 0);
    for (int64_t id : gone) EXPECT_FALSE(store.Contains(id));
    // Every surviving id still maps to its own vector after the swaps.
    for (int64_t id : store.ids()) {
      Result<std::vector<float>> back = store.Reconstruct(id);
      ASSERT_TRUE(back.ok());
      for (int64_t d = 0; d < kDim; ++d) {
        ASSERT_NEAR((*back)[static_cast<size_t>(d)], v[static_cast<size_t>(id * kDim + d)], 0.01f);
      }
    }
    EXPECT_EQ(store.Reconstruct(0).status().code(), StatusCode::kNotFound);
    // Query with the removed vectors themselves: they must not come back, even at k = size().
    Result<std::vector<std::vector<Hit>>> res =
        store.Search(std::span(v).first(30 * kDim), store.size());
    ASSERT_TRUE(res.ok());
    for (const std::vector<Hit>& hits : *res) {
      ASSERT_EQ(static_cast<int64_t>(hits.size()), store.size());
      for (const Hit& h : hits) {
        ASSERT_TRUE(store.Contains(h.id));
        ASSERT_EQ(std::find(gone.begin(), gone.end(), h.id), gone.end());
      }
    }
    store.ShrinkToFit();
    EXPECT_EQ(store.Search(std::span(v).first(kDim), 1)->at(0).size(), 1u);
    // Removing everything leaves a usable empty store.
    const std::vector<int64_t> rest(store.ids().begin(), store.ids().end());
    EXPECT_EQ(store.Remove(rest), static_cast<int64_t>(rest.size()));
    EXPECT_EQ(store.size(), 0);
    ASSERT_TRUE(store.Add(std::vector<int64_t>{7}, std::span(v).first(kDim)).ok());
    EXPECT_EQ(store.Search(std::span(v).first(kDim), 3)->at(0).at(0).id, 7);
  }
}

TEST(ExactStoreTest, ThreadsAndBatchesGiveTheSameResultsAsOneThread) {
  constexpr int kDim = 24;
  const int64_t n = 3 * ExactStore::kMinRowsPerThread + 77;  // enough rows for three threads
  const std::vector<float> v = UnitVectors(n, kDim, 31);
  const std::vector<float> q = UnitVectors(12, kDim, 32);
  for (Precision p : kPrecisions) {
    SCOPED_TRACE(PrecisionName(p));
    ExactStore store = MakeStore(kDim, p);
    ASSERT_TRUE(store.Add(Iota(n, -100), v).ok());
    Result<std::vector<std::vector<Hit>>> base = store.Search(q, 25, SearchOptions{1});
    ASSERT_TRUE(base.ok());
    for (int threads : {2, 3, 8}) {
      Result<std::vector<std::vector<Hit>>> res = store.Search(q, 25, SearchOptions{threads});
      ASSERT_TRUE(res.ok());
      for (size_t i = 0; i < q.size() / kDim; ++i) {
        EXPECT_EQ(HitIds((*res)[i]), HitIds((*base)[i])) << "threads=" << threads;
      }
      Result<std::vector<std::vector<Hit>>> one =
          store.Search(std::span(q).first(kDim), 25, SearchOptions{threads});
      ASSERT_TRUE(one.ok());
      EXPECT_EQ(HitIds((*one)[0]), HitIds((*base)[0]));
    }
  }
}

TEST(ExactStoreTest, Fp16AndInt8RankLikeFp32OnClusteredFaces) {
  constexpr int kDim = 512;
  const Clustered data = MakeClustered(/*identities=*/2000, /*per_identity=*/5, kDim, 41);
  const int64_t n = static_cast<int64_t>(data.faces.size()) / kDim;
  const int64_t nq = static_cast<int64_t>(data.queries.size()) / kDim;
  ExactStore exact = MakeStore(kDim, Precision::kFp32);
  ASSERT_TRUE(exact.Add(Iota(n), data.faces).ok());
  Result<std::vector<std::vector<Hit>>> truth = exact.Search(data.queries, 1);
  ASSERT_TRUE(truth.ok());
  for (Precision p : {Precision::kFp16, Precision::kInt8}) {
    ExactStore store = MakeStore(kDim, p);
    ASSERT_TRUE(store.Add(Iota(n), data.faces).ok());
    Result<std::vector<std::vector<Hit>>> res = store.Search(data.queries, 1);
    ASSERT_TRUE(res.ok());
    int64_t same = 0;
    for (int64_t q = 0; q < nq; ++q) {
      same += (*res)[static_cast<size_t>(q)][0].id == (*truth)[static_cast<size_t>(q)][0].id;
    }
    const double agree = static_cast<double>(same) / static_cast<double>(nq);
    RecordProperty(std::string(PrecisionName(p)) + "_top1_agreement", std::to_string(agree));
    std::cout << PrecisionName(p) << " top-1 agreement with fp32: " << agree << "\n";
    EXPECT_GE(agree, 0.99) << PrecisionName(p);
  }
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void WriteAll(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

TEST(ExactStoreTest, SaveLoadRoundTripsEveryPrecision) {
  testing::TempDir dir;
  constexpr int kDim = 33;
  const std::vector<float> v = UnitVectors(300, kDim, 51);
  for (Precision p : kPrecisions) {
    SCOPED_TRACE(PrecisionName(p));
    ExactStore store = MakeStore(kDim, p);
    ASSERT_TRUE(store.Add(Iota(300, 1000), v).ok());
    EXPECT_EQ(store.Remove(std::vector<int64_t>{1000, 1150}), 2);
    const std::filesystem::path path = dir.path() / "store.bin";
    ASSERT_TRUE(store.Save(path, 42).ok());
    EXPECT_FALSE(std::filesystem::exists(path.string() + ".tmp"));
    Result<ExactStore::Loaded> loaded = ExactStore::Load(path);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    EXPECT_EQ(loaded->generation, 42u);
    const ExactStore& back = loaded->store;
    EXPECT_EQ(back.precision(), p);
    EXPECT_EQ(back.dim(), kDim);
    EXPECT_EQ(std::vector<int64_t>(back.ids().begin(), back.ids().end()),
              std::vector<int64_t>(store.ids().begin(), store.ids().end()));
    Result<std::vector<std::vector<Hit>>> a = store.Search(std::span(v).first(10 * kDim), 7);
    Result<std::vector<std::vector<Hit>>> b = back.Search(std::span(v).first(10 * kDim), 7);
    ASSERT_TRUE(a.ok() && b.ok());
    for (size_t q = 0; q < a->size(); ++q) {
      ASSERT_EQ((*a)[q].size(), (*b)[q].size());
      for (size_t i = 0; i < (*a)[q].size(); ++i) {
        EXPECT_EQ((*a)[q][i].id, (*b)[q][i].id);
        EXPECT_EQ((*a)[q][i].score, (*b)[q][i].score);
      }
    }
  }
  // An empty store round-trips too.
  ExactStore empty = MakeStore(4, Precision::kInt8);
  ASSERT_TRUE(empty.Save(dir.path() / "empty.bin").ok());
  Result<ExactStore::Loaded> e = ExactStore::Load(dir.path() / "empty.bin");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->store.size(), 0);
}

TEST(ExactStoreTest, RemovedVectorsAreNotInTheSavedFile) {
  testing::TempDir dir;
  constexpr int kDim = 8;
  // fp32 rows hold the exact bit patterns we look for; ids are distinctive too.
  const float kMarker = 1234.5678f;
  const int64_t kGoneId = 0x5a5a5a5a5a5a5a5aLL;
  std::vector<float> v(3 * kDim, 0.25f);
  std::fill(v.begin() + kDim, v.begin() + 2 * kDim, kMarker);
  ExactStore store = MakeStore(kDim, Precision::kFp32);
  ASSERT_TRUE(store.Add(std::vector<int64_t>{1, kGoneId, 3}, v).ok());
  const std::filesystem::path path = dir.path() / "s.bin";
  const std::string marker(reinterpret_cast<const char*>(&kMarker), sizeof(kMarker));
  const std::string gone_id(reinterpret_cast<const char*>(&kGoneId), sizeof(kGoneId));
  ASSERT_TRUE(store.Save(path).ok());
  ASSERT_NE(ReadAll(path).find(marker), std::string::npos);  // the probe works
  ASSERT_NE(ReadAll(path).find(gone_id), std::string::npos);
  EXPECT_EQ(store.Remove(std::vector<int64_t>{kGoneId}), 1);
  ASSERT_TRUE(store.Save(path).ok());
  const std::string bytes = ReadAll(path);
  EXPECT_EQ(bytes.find(marker), std::string::npos);
  EXPECT_EQ(bytes.find(gone_id), std::string::npos);
  EXPECT_EQ(store.size(), 2);
}

TEST(ExactStoreTest, CorruptFilesAreRejected) {
  testing::TempDir dir;
  constexpr int kDim = 16;
  ExactStore store = MakeStore(kDim, Precision::kInt8);
  ASSERT_TRUE(store.Add(Iota(50), UnitVectors(50, kDim, 61)).ok());
  const std::filesystem::path good = dir.path() / "good.bin";
  ASSERT_TRUE(store.Save(good, 9).ok());
  const std::string bytes = ReadAll(good);
  const std::filesystem::path bad = dir.path() / "bad.bin";
  auto load_mutated = [&](std::string mutated) {
    WriteAll(bad, mutated);
    return ExactStore::Load(bad).status().code();
  };
  // A flipped bit anywhere (header, ids, scales, rows, checksum) is Corruption.
  for (size_t at : {size_t{0}, size_t{20}, size_t{32}, size_t{45}, size_t{40 + 50 * 8 + 3},
                    bytes.size() / 2, bytes.size() - 40, bytes.size() - 1}) {
    std::string m = bytes;
    m[at] = static_cast<char>(m[at] ^ 0x10);
    EXPECT_EQ(load_mutated(m), StatusCode::kCorruption) << "byte " << at;
  }
  EXPECT_EQ(load_mutated(bytes.substr(0, bytes.size() - 1)), StatusCode::kCorruption);
  EXPECT_EQ(load_mutated(bytes.substr(0, 30)), StatusCode::kCorruption);
  EXPECT_EQ(load_mutated(""), StatusCode::kCorruption);
  EXPECT_EQ(load_mutated(bytes + "x"), StatusCode::kCorruption);
  std::string newer = bytes;
  newer[8] = 2;  // format version 2
  EXPECT_EQ(load_mutated(newer), StatusCode::kUnsupported);
  EXPECT_EQ(ExactStore::Load(dir.path() / "missing.bin").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(ExactStore::Load(good).ok());
}

}  // namespace
}  // namespace likeness::simd
