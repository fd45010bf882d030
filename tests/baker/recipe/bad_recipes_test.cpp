// Every file of the corpus but minimal.yaml is a recipe with one mistake; its first line says
// the error it must produce: "# expect: LINE:COL: message".
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>

#include "baker/recipe/recipe_loader.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"

using namespace trustnet;
using namespace trustnet::baker;
namespace fs = std::filesystem;

TEST_CASE("every bad recipe of the corpus fails with its own file:line:col message and exit status 2") {
  const fs::path corpus = "tests/baker/recipe/corpus";  // tests run from the source folder
  REQUIRE(fs::is_directory(corpus));
  test::TempDir dir;
  LoadOptions options;
  options.extra_ssh_keys = {dir.write("op.pub", test::operator_key + "\n")};

  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(corpus)) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  int checked = 0;
  for (const auto& file : files) {
    if (file.filename() == "minimal.yaml") {
      CHECK_NOTHROW(load_recipe(file, options));
      continue;
    }
    std::ifstream in(file);
    std::string first;
    std::getline(in, first);
    const std::string marker = "# expect: ";
    REQUIRE_MESSAGE(first.starts_with(marker), file.string() << " has no expectation line");
    const std::string expected = file.string() + ":" + first.substr(marker.size());
    CAPTURE(file);
    try {
      load_recipe(file, options);
      FAIL("no error for " << file.string());
    } catch (const Error& e) {
      CHECK(e.line() == expected);
      CHECK(e.exit_code() == ExitCode::bad_input);
    }
    ++checked;
  }
  CHECK(checked >= 20);
}
