#pragma once
// Which recipe folder `bake` reads: --recipes, then ./recipes (a checkout), then the recipes the
// package installs (share/trustnet/recipes, with their overlays beside them).
#include <filesystem>

#include "common/cli/install_paths.hpp"
#include "common/cli/search_places.hpp"

namespace trustnet::baker {

// `option` empty: not given.
FoundPlace locate_recipes(const std::filesystem::path& option,
                          const std::filesystem::path& installed = install_paths::recipes());

}  // namespace trustnet::baker
