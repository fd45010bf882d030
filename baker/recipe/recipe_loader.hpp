#pragma once
// Reads a recipe file with its includes and any override files, merges them and validates the
// result. Every problem is an Error with file:line:col and exit status 2.
#include <filesystem>
#include <string>
#include <vector>

#include "baker/recipe/recipe.hpp"

namespace trustnet::baker {

struct LoadOptions {
  std::vector<std::filesystem::path> overrides;       // recipe layers applied last, in order
  std::vector<std::filesystem::path> extra_ssh_keys;  // added to the operator user
  std::optional<std::filesystem::path> base_image;    // a local copy of the pinned base
};

Recipe load_recipe(const std::filesystem::path& file, const LoadOptions& options = {});

// The recipe files of a folder that `bake all` builds: *.yaml directly in it (includes live in
// sub-folders), sorted by name.
std::vector<std::filesystem::path> list_recipes(const std::filesystem::path& folder);

}  // namespace trustnet::baker
