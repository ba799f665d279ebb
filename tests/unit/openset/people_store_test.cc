#include "openset/people_store.h"

#include <gtest/gtest.h>

#include "testing/test_env.h"

namespace likeness::openset {
namespace {

TEST(PeopleStore, CreateMergeSplitNamePrune) {
  testing::TempDir dir;
  auto store = PeopleStore::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto& s = **store;
  auto a = s.CreatePerson({{1, 10}, {2, 11}});
  auto b = s.CreatePerson({{3, 12}});
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(s.Name(*b, "Ada").ok());
  ASSERT_TRUE(s.Merge(*a, *b).ok());
  auto merged = s.Get(*a);
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(merged->faces, 3);
  EXPECT_EQ(merged->name, "Ada");  // took the merged-in name
  EXPECT_EQ(s.Get(*b).status().code(), StatusCode::kNotFound);

  auto c = s.Split(*a, 2);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*s.FacesOf(*c), std::vector<int64_t>{2});
  EXPECT_EQ(s.Split(*a, 2).status().code(), StatusCode::kNotFound);

  ASSERT_TRUE(s.Assign(4, 13, *c).ok());
  EXPECT_EQ(s.Assign(5, 13, *c).code(), StatusCode::kFailedPrecondition);  // same photo
  EXPECT_EQ(s.Name(999, "x").code(), StatusCode::kNotFound);

  auto pruned = s.Prune({1, 3});
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(*pruned, 2);  // faces 2 and 4 left the catalog
  auto list = s.List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);  // person c had no faces left
  EXPECT_EQ(list->front().id, *a);
}

TEST(PeopleStore, SamePhotoRuleOnCreateAndMerge) {
  testing::TempDir dir;
  auto store = PeopleStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  auto& s = **store;
  EXPECT_EQ(s.CreatePerson({{1, 10}, {2, 10}}).status().code(), StatusCode::kInvalidArgument);
  auto a = s.CreatePerson({{1, 10}});
  auto b = s.CreatePerson({{2, 10}});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(s.Merge(*a, *b).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.Merge(*a, *a).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.CreatePerson({{1, 11}}).status().code(), StatusCode::kAlreadyExists);
}

// Erasure forgets faces; a person left with none goes, name included.
TEST(PeopleStore, ForgetDropsFacesAndEmptiedPeople) {
  testing::TempDir dir;
  auto store = PeopleStore::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto& s = **store;
  auto a = s.CreatePerson({{1, 10}, {2, 11}});
  auto b = s.CreatePerson({{3, 12}});
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(s.Name(*b, "Grace").ok());
  auto n = s.Forget({3, 2, 77});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2);
  EXPECT_EQ(s.Get(*b).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(*s.FacesOf(*a), std::vector<int64_t>{1});
}

}  // namespace
}  // namespace likeness::openset
