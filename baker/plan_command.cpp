#include "baker/plan_command.hpp"

#include <fmt/format.h>

#include "baker/command_options.hpp"
#include "baker/plan/plan.hpp"

namespace trustnet::baker {
namespace {

int run_plan(const RecipeSelection& common, bool json) {
  for (const auto& file : common.recipe_files()) {
    Plan plan = make_plan(load_recipe(file, common.load_options()));
    fmt::print("{}", json ? plan_to_json(plan) : format_plan(plan));
  }
  return 0;
}

}  // namespace

CommandRun declare_plan(CLI::App& command) {
  struct State {
    RecipeSelection recipes;
    bool json = false;
  };
  auto state = std::make_shared<State>();
  state->recipes.add_to(command)->required();
  command.add_flag("--json", state->json, "machine-readable output");
  command.add_flag("-v,--verbose", state->recipes.verbose, "say which recipe folder is used");
  return [state] { return run_plan(state->recipes, state->json); };
}

}  // namespace trustnet::baker
