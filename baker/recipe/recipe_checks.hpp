#pragma once
// The merged recipe checked as a whole: required keys and defaults, then what one section says
// about another (users named by the operator, services, owners), files on this machine, and the
// SSH keys read from their files. Every problem is an Error at the place the recipe says it.
#include <filesystem>
#include <vector>

#include "baker/recipe/recipe.hpp"
#include "baker/recipe/recipe_layers.hpp"
#include "baker/recipe/recipe_loader.hpp"

namespace trustnet::baker {

Recipe finish_recipe(Layer layer, const std::filesystem::path& file, std::vector<RecipeSource> sources,
                     const LoadOptions& options);

}  // namespace trustnet::baker
