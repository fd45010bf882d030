#include "baker/recipe/recipes_location.hpp"

#include <doctest/doctest.h>

#include "common/util/process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"

using namespace trustnet;
using namespace trustnet::baker;
namespace fs = std::filesystem;

namespace {
ProcessResult bake_in(const fs::path& dir, std::vector<std::string> args) {
  std::vector<std::string> argv{"env", "-C", dir.string(), TRUSTNET_BAKE_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv);
}
}  // namespace

TEST_CASE("the recipe folder is --recipes, else a checkout's recipes, else the installed ones") {
  test::TempDir dir;
  fs::create_directories(dir / "option");
  fs::create_directories(dir / "installed");
  CHECK(locate_recipes(dir / "option", dir / "installed").path == dir / "option");
  CHECK(locate_recipes(dir / "option", dir / "installed").source == "--recipes");
  // The tests run in the checkout.
  CHECK(locate_recipes("", dir / "installed").path == "recipes");
  CHECK(locate_recipes("", dir / "installed").source == "a checkout");
}

TEST_CASE("outside a checkout bake names the places it looked for recipes, and -v says which folder it used") {
  test::TempDir dir;
  const fs::path key = dir.write("op.pub", test::operator_key + "\n");
  ProcessResult none = bake_in(dir.path(), {"plan", "node", "--ssh-key", key.string()});
  CHECK(none.exit_status == 2);
  CHECK(none.err == "bake: no recipe folder: looked at recipes (a checkout), " + install_paths::recipes().string() +
                        " (the installed recipes); pass --recipes DIR\n");
  ProcessResult typo = bake_in(dir.path(), {"plan", "node", "--recipes", "recipies", "--ssh-key", key.string()});
  CHECK(typo.exit_status == 2);
  CHECK(typo.err == "bake: recipe folder recipies (from --recipes) does not exist\n");
  const std::string recipes = (test::source_dir() / "recipes").string();
  ProcessResult plan = bake_in(dir.path(), {"plan", "node", "-v", "--recipes", recipes, "--ssh-key", key.string()});
  CHECK(plan.exit_status == 0);
  CHECK(plan.err == "bake: recipes " + recipes + " (from --recipes)\n");
  CHECK(plan.out.find("tendermint") != std::string::npos);
}
