#include "baker/recipe/recipes_location.hpp"

namespace trustnet::baker {

FoundPlace locate_recipes(const std::filesystem::path& option, const std::filesystem::path& installed) {
  if (!option.empty()) return first_existing("recipe folder", PlaceKind::folder, {{option, "--recipes", true}}, "");
  return first_existing("recipe folder", PlaceKind::folder,
                        {{"recipes", "a checkout"}, {installed, "the installed recipes"}}, "pass --recipes DIR");
}

}  // namespace trustnet::baker
