#include "baker/render/state_folders.hpp"

#include <fmt/format.h>

namespace trustnet::baker {

std::string render_state_folders(const std::vector<DirectorySpec>& folders, const std::string& recipe_name) {
  std::string text = fmt::format(
      "# Written by bake from the {} recipe's state key; edit the recipe, not this file.\n"
      "# Kept on the instance's state disk by trustnet-state. MODE OWNER GROUP PATH\n",
      recipe_name);
  for (const auto& folder : folders)
    text += fmt::format("{:04o} {} {} {}\n", folder.mode, folder.owner.user, folder.owner.group, folder.path);
  return text;
}

}  // namespace trustnet::baker
