#include "common/atomic_file.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include "../support/temp_dir.hpp"
#include "common/text_file.hpp"

using namespace trustnet;
namespace fs = std::filesystem;

TEST_CASE("write_file_atomically replaces the file and leaves no temporary behind") {
  test::TempDir dir;
  auto target = dir / "report.json";
  write_file_atomically(target, "old");
  write_file_atomically(target, "new", fs::perms(0600));
  CHECK(read_text_file(target) == "new");
  struct stat st {};
  REQUIRE(::stat(target.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == 1);
}

TEST_CASE("a TemporaryPath that is not committed is removed and the final path untouched") {
  test::TempDir dir;
  auto final_path = dir.write("image.qcow2", "golden");
  fs::path temporary;
  {
    TemporaryPath work(final_path);
    temporary = work.path();
    std::ofstream(work.path()) << "half-written";
    CHECK(temporary.parent_path() == final_path.parent_path());
  }
  CHECK_FALSE(fs::exists(temporary));
  CHECK(read_text_file(final_path) == "golden");
}

TEST_CASE("a committed TemporaryPath takes the final name") {
  test::TempDir dir;
  TemporaryPath work(dir / "out.qcow2");
  std::ofstream(work.path()) << "baked";
  work.commit();
  CHECK(read_text_file(dir / "out.qcow2") == "baked");
  CHECK_FALSE(fs::exists(work.path()));
}
