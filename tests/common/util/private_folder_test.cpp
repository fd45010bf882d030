#include "common/util/private_folder.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "common/util/atomic_file.hpp"
#include "common/util/error.hpp"
#include "support/temp_dir.hpp"

using namespace trustnet;
namespace fs = std::filesystem;

namespace {

std::string refusal(const fs::path& dir) {
  try {
    check_private_tree(dir, "test folders");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a private tree refuses what would let another account swap its contents, wherever it lies") {
  test::TempDir dir;
  make_private_folder(dir / "state" / "node");
  write_file_atomically(dir / "state" / "node" / "key", "secret");
  CHECK(refusal(dir / "state") == "");

  SUBCASE("a link to a folder") {
    fs::create_directory_symlink("/tmp", dir / "state" / "node" / "elsewhere");
    CHECK(refusal(dir / "state").find("elsewhere is a symbolic link; replace it with a folder") != std::string::npos);
  }
  SUBCASE("a file others may write") {
    fs::permissions(dir / "state" / "node" / "key", fs::perms::others_write, fs::perm_options::add);
    CHECK(refusal(dir / "state").find("key is writable by its group or others (mode 0646)") != std::string::npos);
  }
  SUBCASE("a folder another account owns") {
    REQUIRE(::chown((dir / "state" / "node").c_str(), 4321, 4321) == 0);
    CHECK(refusal(dir / "state").find("node is owned by uid 4321") != std::string::npos);
  }
}

TEST_CASE("a private tree whose files are renamed into place while it is checked passes, and its faults still show") {
  // What two instances starting side by side do to the pin folder: one copies a pin beside it and
  // renames it into place while the other checks the folder.
  test::TempDir dir;
  make_private_folder(dir / "state" / "pinned");
  for (int i = 0; i < 100; ++i)
    write_file_atomically(dir / "state" / "pinned" / fmt::format(".{}.tmp", i), "image", fs::perms(0600));
  std::atomic<bool> done = false;
  std::thread churn([&] {
    // Bounded: each file moves between its two names until the checks are over.
    for (int round = 0; round < 100000 && !done; ++round)
      for (int i = 0; i < 100; ++i) {
        const fs::path copy = dir / "state" / "pinned" / fmt::format(".{}.tmp", i);
        const fs::path pin = dir / "state" / "pinned" / fmt::format("{}.qcow2", i);
        if (round % 2 == 0)
          fs::rename(copy, pin);
        else
          fs::rename(pin, copy);
      }
  });
  int checked = 0;
  for (; checked < 300; ++checked)
    if (!refusal(dir / "state").empty()) break;
  done = true;
  churn.join();
  CHECK(checked == 300);
  write_file_atomically(dir / "state" / "pinned" / "loose", "x");
  fs::permissions(dir / "state" / "pinned" / "loose", fs::perms::group_write, fs::perm_options::add);
  CHECK(refusal(dir / "state").find("loose is writable by its group or others") != std::string::npos);
}
