#include "common/util/atomic_file.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include "common/util/text_file.hpp"
#include "support/temp_dir.hpp"

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

TEST_CASE("a temporary file is ours from the start: 0600, a name no one can guess, never through a planted link") {
  test::TempDir dir;
  const auto victim = dir.write("someone-elses-file", "theirs");
  // Whatever is planted under the old predictable names is neither followed nor truncated.
  for (const char* name : {".keys.json.tmp-1", ".keys.json.tmp-2"}) fs::create_symlink(victim, dir / name);
  ::umask(0);  // even with the loosest umask
  TemporaryPath first(dir / "keys.json"), second(dir / "keys.json");
  ::umask(022);
  CHECK(first.path() != second.path());
  CHECK(first.path().filename().string().starts_with(".keys.json.tmp-" + std::to_string(::getpid()) + "-"));
  CHECK(first.path().filename().string().size() ==
        std::string(".keys.json.tmp-").size() + std::to_string(::getpid()).size() + 17);
  struct stat st {};
  REQUIRE(::lstat(first.path().c_str(), &st) == 0);
  CHECK(S_ISREG(st.st_mode));
  CHECK((st.st_mode & 07777) == 0600);
  CHECK(read_text_file(victim) == "theirs");

  // A secret written with write_file_atomically is never more open than its mode; a public file
  // gets its mode at commit.
  write_file_atomically(dir / "ca.key", "secret", fs::perms(0600));
  std::ofstream(second.path()) << "public";
  second.commit();
  REQUIRE(::stat((dir / "keys.json").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  TemporaryPath image(dir / "node.qcow2", fs::perms(0644));
  image.commit();
  REQUIRE(::stat((dir / "node.qcow2").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0644);
}

TEST_CASE("leftover temporaries of a final path are removed, ours and other files are kept") {
  test::TempDir dir;
  const auto left = dir.write(".node.qcow2.tmp-12-0011223344556677", "old");
  const auto unrelated = dir.write(".node.qcow2.bak", "keep");
  const auto other_output = dir.write(".node.mtree.tmp-12-0011223344556677", "other output");
  TemporaryPath ours(dir / "node.qcow2");
  fs::create_symlink("/etc/passwd", dir / ".node.qcow2.tmp-13-link");
  const auto removed = remove_leftover_temporaries(dir / "node.qcow2");
  CHECK(removed == std::vector<fs::path>{left});
  CHECK(fs::exists(ours.path()));
  CHECK(fs::exists(unrelated));
  CHECK(fs::exists(other_output));
  CHECK(fs::is_symlink(dir / ".node.qcow2.tmp-13-link"));  // never followed, never touched
}
