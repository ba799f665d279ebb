#include "openset/clustering.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace likeness::openset {
namespace {

constexpr int kDim = 16;

// Three well-separated people with 5 photos each, as unit vectors near three axes.
struct Fixture {
  std::vector<std::vector<float>> embeddings;
  std::vector<ClusterFace> faces;
  std::map<int64_t, int64_t> identity;
  void AddFace(int64_t id, int64_t image, int person, std::mt19937& rng) {
    std::normal_distribution<float> noise(0, 0.08f);
    std::vector<float> e(kDim);
    double n = 0;
    for (int i = 0; i < kDim; ++i)
      e[i] = (i == person ? 1.0f : 0.0f) + noise(rng), n += e[i] * e[i];
    for (auto& x : e) x = static_cast<float>(x / std::sqrt(n));
    embeddings.push_back(e);
    identity[id] = person;
    faces.push_back({id, image, nullptr, 0});
  }
  void Bind() {
    for (size_t i = 0; i < faces.size(); ++i) faces[i].embedding = embeddings[i].data();
  }
};

Fixture ThreePeople() {
  Fixture f;
  std::mt19937 rng(1);
  int64_t id = 1;
  for (int person = 0; person < 3; ++person)
    for (int photo = 0; photo < 5; ++photo) f.AddFace(id++, 100 * person + photo, person, rng);
  f.Bind();
  return f;
}

TEST(ClusterFaces, FindsPurePeople) {
  auto f = ThreePeople();
  const auto r = ClusterFaces(f.faces, kDim);
  ASSERT_EQ(r.new_people.size(), 3u);
  std::map<int64_t, int64_t> assign;
  for (size_t p = 0; p < r.new_people.size(); ++p)
    for (int64_t face : r.new_people[p]) assign[face] = static_cast<int64_t>(p);
  const auto q = MeasureClusters(assign, f.identity);
  EXPECT_DOUBLE_EQ(q.purity, 1.0);
  EXPECT_DOUBLE_EQ(q.completeness, 1.0);
}

TEST(ClusterFaces, TwoFacesOfOnePhotoAreNeverOnePerson) {
  // Two faces of the same person in one photo (a mirror, a poster): they must end up apart.
  Fixture f;
  std::mt19937 rng(2);
  for (int64_t id = 1; id <= 6; ++id) f.AddFace(id, id, 0, rng);
  f.AddFace(7, 1, 0, rng);  // same photo as face 1
  f.Bind();
  const auto r = ClusterFaces(f.faces, kDim);
  for (const auto& people : r.new_people) {
    std::set<int64_t> images;
    for (int64_t face : people) {
      const auto& cf = *std::find_if(f.faces.begin(), f.faces.end(),
                                     [&](const ClusterFace& c) { return c.id == face; });
      EXPECT_TRUE(images.insert(cf.image_id).second) << "photo " << cf.image_id << " twice";
    }
  }
}

TEST(ClusterFaces, IncrementalKeepsPeopleAndAttachesNewFaces) {
  auto f = ThreePeople();
  // Person 42 already holds faces 1..4 (identity 0); face 5 is new.
  for (auto& c : f.faces)
    if (c.id <= 4) c.person = 42;
  const auto r = ClusterFaces(f.faces, kDim);
  ASSERT_EQ(r.attached.count(5), 1u);
  EXPECT_EQ(r.attached.at(5), 42);
  EXPECT_EQ(r.new_people.size(), 2u);
}

TEST(ClusterFaces, LoneFacesAreNoise) {
  Fixture f;
  std::mt19937 rng(3);
  f.AddFace(1, 1, 0, rng);
  f.AddFace(2, 2, 1, rng);
  f.Bind();
  const auto r = ClusterFaces(f.faces, kDim);
  EXPECT_TRUE(r.new_people.empty());
  EXPECT_EQ(r.noise, 2);
}

}  // namespace
}  // namespace likeness::openset
