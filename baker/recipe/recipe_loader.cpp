#include "baker/recipe/recipe_loader.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "baker/recipe/recipe_checks.hpp"
#include "baker/recipe/recipe_layers.hpp"
#include "common/util/error.hpp"

namespace trustnet::baker {
namespace fs = std::filesystem;

Recipe load_recipe(const fs::path& file, const LoadOptions& options) {
  if (!fs::exists(file)) throw Error(fmt::format("recipe {} does not exist", file.string()), ExitCode::bad_input);
  if (!fs::is_regular_file(file))
    throw Error(fmt::format("recipe {} is not a regular file", file.string()), ExitCode::bad_input);
  LayerReader reader;
  std::vector<fs::path> stack;
  Layer layer = reader.read(file, stack);
  for (const auto& override_file : options.overrides) {
    if (!fs::is_regular_file(override_file))
      throw Error(fmt::format("override file {} {}", override_file.string(),
                              fs::exists(override_file) ? "is not a regular file" : "does not exist"),
                  ExitCode::bad_input);
    merge(layer, reader.read(override_file, stack));
  }
  return finish_recipe(std::move(layer), file, std::move(reader.sources), options);
}

std::vector<fs::path> list_recipes(const fs::path& folder) {
  if (!fs::is_directory(folder))
    throw Error(fmt::format("recipe folder {} does not exist", folder.string()), ExitCode::bad_input);
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder))
    if (entry.is_regular_file() && entry.path().extension() == ".yaml") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace trustnet::baker
