#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "common/crypto/sha256.hpp"
#include "common/store/durable_file.hpp"
#include "tests/unit/store/scratch_dir.hpp"

namespace im2k::store {
namespace {

std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::size_t entries(const std::filesystem::path& dir) {
  return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir),
                                                std::filesystem::directory_iterator()));
}

class DurableFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = scratch_.path() / "bodies";
    auto removed = prepare_directory(dir_);
    ASSERT_TRUE(removed);
    ASSERT_EQ(*removed, 0u);
  }

  test_store::scratch_dir scratch_;
  std::filesystem::path dir_;
};

TEST_F(DurableFileTest, FinishPutsTheWholeFileInPlaceWithItsDigest) {
  auto file = durable_file::create(dir_, "msg1");
  ASSERT_TRUE(file) << file.error().message();
  EXPECT_TRUE(std::filesystem::exists(dir_ / "tmp" / "msg1.tmp"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "msg1"));
  std::string body;
  for (int i = 0; i < 1000; ++i) {
    std::string chunk = "line " + std::to_string(i) + "\r\n" + std::string(1, '\0');
    body += chunk;
    ASSERT_FALSE(file->append(chunk));
  }
  EXPECT_EQ(file->size(), body.size());
  auto summary = file->finish();
  ASSERT_TRUE(summary) << summary.error().message();
  EXPECT_EQ(summary->path, dir_ / "msg1");
  EXPECT_EQ(summary->size, body.size());
  EXPECT_EQ(summary->sha256_hex(), crypto::sha256_hex(body));
  EXPECT_EQ(read_all(dir_ / "msg1"), body);
  EXPECT_EQ(entries(dir_ / "tmp"), 0u);
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "msg1").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(file->active());
}

TEST_F(DurableFileTest, EmptyFile) {
  auto file = durable_file::create(dir_, "empty");
  ASSERT_TRUE(file);
  auto summary = file->finish();
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->size, 0u);
  EXPECT_EQ(summary->sha256_hex(), crypto::sha256_hex(""));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "empty"));
}

TEST_F(DurableFileTest, FinishReplacesAnEarlierFileOfTheSameName) {
  for (std::string body : {"first", "second"}) {
    auto file = durable_file::create(dir_, "same");
    ASSERT_TRUE(file);
    ASSERT_FALSE(file->append(body));
    ASSERT_TRUE(file->finish());
  }
  EXPECT_EQ(read_all(dir_ / "same"), "second");
}

TEST_F(DurableFileTest, AbortLeavesNothing) {
  auto file = durable_file::create(dir_, "gone");
  ASSERT_TRUE(file);
  ASSERT_FALSE(file->append("partial"));
  file->abort();
  file->abort();  // idempotent
  EXPECT_EQ(entries(dir_ / "tmp"), 0u);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "gone"));
  EXPECT_EQ(file->append("more"), make_error_code(errc::already_finished));
  EXPECT_EQ(file->finish().error(), make_error_code(errc::already_finished));
}

TEST_F(DurableFileTest, DestructionWithoutFinishAborts) {
  {
    auto file = durable_file::create(dir_, "dropped");
    ASSERT_TRUE(file);
    ASSERT_FALSE(file->append("partial"));
    durable_file moved = std::move(*file);  // the moved-from object owns nothing
    EXPECT_TRUE(moved.active());
    EXPECT_FALSE(file->active());
  }
  EXPECT_EQ(entries(dir_ / "tmp"), 0u);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "dropped"));
}

TEST_F(DurableFileTest, TwoWritersOfOneNameCannotShareTheTemporary) {
  auto first = durable_file::create(dir_, "m");
  ASSERT_TRUE(first);
  auto second = durable_file::create(dir_, "m");
  ASSERT_FALSE(second);
  EXPECT_TRUE(second.error() == boost::system::errc::file_exists) << second.error();
}

TEST_F(DurableFileTest, RefusesNamesThatLeaveTheDirectory) {
  for (const std::string& name :
       std::vector<std::string>{"", ".", "..", "../x", "a/b", std::string("a\0b", 3)}) {
    auto file = durable_file::create(dir_, name);
    ASSERT_FALSE(file) << name;
    EXPECT_EQ(file.error(), make_error_code(errc::bad_name)) << name;
  }
}

TEST_F(DurableFileTest, PrepareDirectoryRemovesStaleTemporariesOnly) {
  std::ofstream(dir_ / "tmp" / "crashed1.tmp") << "half";
  std::ofstream(dir_ / "tmp" / "crashed2.tmp") << "half";
  std::ofstream(dir_ / "tmp" / "notes.txt") << "keep";
  std::ofstream(dir_ / "finished") << "keep";
  auto removed = prepare_directory(dir_);
  ASSERT_TRUE(removed);
  EXPECT_EQ(*removed, 2u);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "tmp" / "crashed1.tmp"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "tmp" / "crashed2.tmp"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "tmp" / "notes.txt"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "finished"));
}

TEST_F(DurableFileTest, PrepareDirectoryFailsOnAFile) {
  std::ofstream(scratch_.path() / "plain") << "x";
  EXPECT_FALSE(prepare_directory(scratch_.path() / "plain"));
}

TEST_F(DurableFileTest, RemoveDurably) {
  auto file = durable_file::create(dir_, "old");
  ASSERT_TRUE(file);
  ASSERT_TRUE(file->finish());
  EXPECT_FALSE(remove_durably(dir_ / "old"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "old"));
  EXPECT_FALSE(remove_durably(dir_ / "old"));  // already gone: still success
  EXPECT_TRUE(remove_durably(dir_ / "tmp"));   // a directory is not removed
}

}  // namespace
}  // namespace im2k::store
