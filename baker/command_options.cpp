#include "baker/command_options.hpp"

#include <fmt/format.h>

#include "baker/recipe/recipes_location.hpp"

namespace trustnet::baker {
namespace fs = std::filesystem;

std::string recipes_help() {
  return "folder of recipe files (default: ./recipes in a checkout, else " + install_paths::recipes().string() + ")";
}

fs::path recipe_folder(const fs::path& option, bool verbose) {
  const FoundPlace found = locate_recipes(option);
  if (verbose) fmt::print(stderr, "bake: recipes {} (from {})\n", found.path.string(), found.source);
  return found.path;
}

CLI::Option* RecipeSelection::add_to(CLI::App& command) {
  CLI::Option* positional = command.add_option("names", names, "recipe names, or all");
  command.add_option("--recipes", recipes_option, recipes_help());
  command.add_option("--override", overrides, "recipe layer merged last (repeatable), e.g. local inputs")
      ->check(CLI::ExistingFile);
  command.add_option("--ssh-key", ssh_keys, "SSH public key file for the operator user (repeatable)")
      ->check(CLI::ExistingFile);
  command.add_option("--base-image", base_image, "local copy of the pinned base image (its SHA-256 is still checked)")
      ->check(CLI::ExistingFile);
  return positional;
}

LoadOptions RecipeSelection::load_options() const {
  LoadOptions load{overrides, ssh_keys, std::nullopt};
  if (!base_image.empty()) load.base_image = base_image;
  return load;
}

std::vector<fs::path> RecipeSelection::recipe_files() const {
  const fs::path recipes_dir = recipe_folder(recipes_option, verbose);
  std::vector<fs::path> files;
  for (const auto& name : names) {
    if (name == "all") {
      auto all = list_recipes(recipes_dir);
      files.insert(files.end(), all.begin(), all.end());
    } else {
      files.push_back(recipes_dir / (name + ".yaml"));
    }
  }
  return files;
}

void FetchFlags::add_to(CLI::App& command) {
  command.add_flag("--offline", offline, "never touch the network; fail naming every input missing from the cache");
  command.add_option("--retries", retries, "retries of a download after a transient failure, with back-off")
      ->check(CLI::Range(0, 20))
      ->capture_default_str();
  command.add_option("--timeout", timeout, "seconds after which the downloads give up, however far they got")
      ->check(CLI::Range(1, 7 * 24 * 3600))
      ->capture_default_str();
}

FetchOptions FetchFlags::options() const {
  FetchOptions options{offline, retries};
  options.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);
  options.deadline_name = fmt::format("--timeout {}", timeout);
  return options;
}

void add_accel_option(CLI::App& command, std::string& accel, const std::string& help) {
  command.add_option("--accel", accel, help)->check(CLI::IsMember({"auto", "tcg"}))->capture_default_str();
}

void add_engine_option(CLI::App& command, std::string& engine, const std::string& help) {
  command.add_option("--engine", engine, help)
      ->check(CLI::IsMember({"auto", "ext4", "guestfs"}))
      ->capture_default_str();
}

ApplianceAccel appliance_accel(const std::string& accel) {
  return accel == "tcg" ? ApplianceAccel::tcg : ApplianceAccel::automatic;
}

}  // namespace trustnet::baker
