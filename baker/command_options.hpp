#pragma once
// Options that several `bake` subcommands share, declared once: which recipes (folder, layers,
// keys, base image), how downloads behave, and the appliance's acceleration.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "baker/execute/guestfs/appliance_settings.hpp"
#include "baker/recipe/recipe_loader.hpp"
#include "common/transfer/fetcher.hpp"

namespace trustnet::baker {

// The names that pick recipes (NAME or all), --recipes, --override, --ssh-key, --base-image.
struct RecipeSelection {
  std::vector<std::string> names;
  std::filesystem::path recipes_option;
  std::vector<std::filesystem::path> overrides, ssh_keys;
  std::filesystem::path base_image;
  bool verbose = false;  // say which recipe folder is used

  // Returns the names' positional option, for the caller's constraints.
  CLI::Option* add_to(CLI::App& command);
  LoadOptions load_options() const;
  // The recipe files the names stand for: NAME.yaml, or every recipe for "all".
  std::vector<std::filesystem::path> recipe_files() const;
};

std::string recipes_help();
// The recipe folder, found once; `verbose` says which on stderr.
std::filesystem::path recipe_folder(const std::filesystem::path& option, bool verbose);

// --offline and --retries.
struct FetchFlags {
  bool offline = false;
  int retries = 3;
  int timeout = 3600;  // seconds for all the downloads of one command

  void add_to(CLI::App& command);
  // The deadline counts from this call.
  FetchOptions options() const;
};

// --accel auto|tcg for the commands that open images with libguestfs.
void add_accel_option(CLI::App& command, std::string& accel, const std::string& help);
ApplianceAccel appliance_accel(const std::string& accel);

// --engine auto|ext4|guestfs for the commands that edit or read images (see execute/bake_engine.hpp).
void add_engine_option(CLI::App& command, std::string& engine, const std::string& help);

}  // namespace trustnet::baker
