#include "common/hash.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "testing/test_env.h"

namespace likeness {
namespace {

TEST(HashTest, KnownVector) {
  const std::string abc = "abc";
  EXPECT_EQ(Sha256Hex({reinterpret_cast<const uint8_t*>(abc.data()), abc.size()}),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(HashTest, FileMatchesBytesAndMissingFileIsNotFound) {
  testing::TempDir dir;
  const auto path = dir.path() / "f.bin";
  std::ofstream(path, std::ios::binary) << "abc";
  auto h = Sha256FileHex(path);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(*h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256FileHex(dir.path() / "missing").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace likeness
