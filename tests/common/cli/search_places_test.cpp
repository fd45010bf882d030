#include "common/cli/search_places.hpp"

#include <doctest/doctest.h>

#include "common/util/error.hpp"
#include "support/temp_dir.hpp"

using namespace trustnet;
namespace fs = std::filesystem;

namespace {
std::string error_of(const std::vector<SearchPlace>& places, PlaceKind kind = PlaceKind::file) {
  try {
    first_existing("thing", kind, places, "pass --thing");
  } catch (const Error& e) {
    CHECK(e.exit_code() == ExitCode::bad_input);
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("the first place that holds the file wins, and says where it came from") {
  test::TempDir dir;
  const fs::path second = dir.write("second.yaml", "x"), third = dir.write("third.yaml", "x");
  const FoundPlace found =
      first_existing("thing", PlaceKind::file, {{dir / "first.yaml", "one"}, {second, "two"}, {third, "three"}}, "");
  CHECK(found.path == second);
  CHECK(found.source == "two");
}

TEST_CASE("a folder where a file is looked for does not count, nor a file where a folder is") {
  test::TempDir dir;
  fs::create_directories(dir / "folder");
  const fs::path file = dir.write("file", "x");
  CHECK(first_existing("thing", PlaceKind::file, {{dir / "folder", "a"}, {file, "b"}}, "").path == file);
  CHECK(first_existing("thing", PlaceKind::folder, {{file, "a"}, {dir / "folder", "b"}}, "").path == dir / "folder");
}

TEST_CASE("when no place holds it the error names every place looked at and how to name one") {
  test::TempDir dir;
  CHECK(error_of({{dir / "a.yaml", "a checkout"}, {dir / "b.yaml", "installed"}}) ==
        "no thing: looked at " + (dir / "a.yaml").string() + " (a checkout), " + (dir / "b.yaml").string() +
            " (installed); pass --thing");
}

TEST_CASE("a place the user named is taken or refused: never a fall-through to another file") {
  test::TempDir dir;
  const fs::path other = dir.write("other.yaml", "x");
  fs::create_directories(dir / "folder");
  CHECK(error_of({{dir / "typo.yaml", "--thing", true}, {other, "installed"}}) ==
        "thing " + (dir / "typo.yaml").string() + " (from --thing) does not exist");
  CHECK(error_of({{dir / "folder", "$THING", true}, {other, "installed"}}) ==
        "thing " + (dir / "folder").string() + " (from $THING) is not a file");
  CHECK(error_of({{other, "--things", true}}, PlaceKind::folder) ==
        "thing " + other.string() + " (from --things) is not a folder");
}
