#include "eval/datasets.h"

#include <gtest/gtest.h>

#include <fstream>

#include "testing/test_env.h"

namespace likeness::eval {
namespace {
namespace fs = std::filesystem;

TEST(DatasetsTest, LfwView2PairsFormat) {
  likeness::testing::TempDir dir;
  const fs::path file = dir.path() / "pairs.txt";
  std::ofstream(file) << "2\t1\n"
                         "Abel_Pacheco\t1\t4\n"
                         "Abdullah_Gul\t13\tAdam_Sandler\t2\n"
                         "Zico\t1\t2\n"
                         "Aaron_Eckhart\t1\tZoe_Ball\t10\n";
  auto pairs = LoadPairs(file, "/lfw");
  ASSERT_TRUE(pairs.ok()) << pairs.status().ToString();
  ASSERT_EQ(pairs->size(), 4u);
  EXPECT_EQ((*pairs)[0].a, fs::path("/lfw/Abel_Pacheco/Abel_Pacheco_0001.jpg"));
  EXPECT_EQ((*pairs)[0].b, fs::path("/lfw/Abel_Pacheco/Abel_Pacheco_0004.jpg"));
  EXPECT_TRUE((*pairs)[0].same);
  EXPECT_EQ((*pairs)[1].b, fs::path("/lfw/Adam_Sandler/Adam_Sandler_0002.jpg"));
  EXPECT_FALSE((*pairs)[1].same);
  EXPECT_EQ((*pairs)[0].fold, 0);
  EXPECT_EQ((*pairs)[1].fold, 0);
  EXPECT_EQ((*pairs)[2].fold, 1);
  EXPECT_EQ((*pairs)[3].fold, 1);
}

TEST(DatasetsTest, CsvPairsWithHeaderResolveAgainstTheFilesFolder) {
  likeness::testing::TempDir dir;
  const fs::path file = dir.path() / "pairs.csv";
  std::ofstream(file)
      << "file_a,file_b,same,listed_in\nimg1.jpg,img2.jpg,1,master.csv\na/x.png,b/y.png,0,x\n";
  auto pairs = LoadPairs(file, "");
  ASSERT_TRUE(pairs.ok()) << pairs.status().ToString();
  ASSERT_EQ(pairs->size(), 2u);
  EXPECT_EQ((*pairs)[0].a, dir.path() / "img1.jpg");
  EXPECT_TRUE((*pairs)[0].same);
  EXPECT_FALSE((*pairs)[1].same);
  EXPECT_EQ((*pairs)[1].fold, 1);
}

TEST(DatasetsTest, BadPairsLinesNameTheLine) {
  likeness::testing::TempDir dir;
  const fs::path file = dir.path() / "pairs.csv";
  std::ofstream(file) << "path_a,path_b,same\nimg1.jpg,img2.jpg,maybe\n";
  auto pairs = LoadPairs(file, "");
  ASSERT_EQ(pairs.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(pairs.status().message().find("line 2"), std::string::npos);
  EXPECT_EQ(LoadPairs(dir.path() / "missing.csv", "").status().code(), StatusCode::kNotFound);
}

TEST(DatasetsTest, IdentityFolders) {
  likeness::testing::TempDir dir;
  fs::create_directories(dir.path() / "bob");
  fs::create_directories(dir.path() / "alice");
  std::ofstream(dir.path() / "bob" / "2.jpg") << "x";
  std::ofstream(dir.path() / "bob" / "1.jpg") << "x";
  std::ofstream(dir.path() / "bob" / ".hidden") << "x";
  std::ofstream(dir.path() / "alice" / "a.jpg") << "x";
  auto ids = LoadIdentityFolders(dir.path());
  ASSERT_TRUE(ids.ok());
  ASSERT_EQ(ids->size(), 2u);
  EXPECT_EQ((*ids)[0].identity, "alice");
  ASSERT_EQ((*ids)[1].images.size(), 2u);
  EXPECT_EQ((*ids)[1].images[0].filename(), "1.jpg");
}

}  // namespace
}  // namespace likeness::eval
