#pragma once
// The list of state folders that the appliance's trustnet-state service puts on the instance's
// state disk (overlays/common/usr/local/sbin/trustnet-state reads it).
#include <string>
#include <vector>

#include "baker/recipe/recipe.hpp"

namespace trustnet::baker {

inline constexpr const char* state_folders_path = "/etc/trustnet/state-folders";

// One line per folder: MODE OWNER GROUP PATH (owners by name: the appliance resolves them).
std::string render_state_folders(const std::vector<DirectorySpec>& folders, const std::string& recipe_name);

}  // namespace trustnet::baker
