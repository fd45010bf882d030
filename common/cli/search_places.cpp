#include "common/cli/search_places.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/util/error.hpp"

namespace trustnet {
namespace fs = std::filesystem;

FoundPlace first_existing(std::string_view what, PlaceKind kind, const std::vector<SearchPlace>& places,
                          std::string_view hint) {
  auto holds = [kind](const fs::path& path) {
    return kind == PlaceKind::file ? fs::is_regular_file(path) : fs::is_directory(path);
  };
  std::vector<std::string> looked;
  for (const auto& place : places) {
    if (place.named) {
      if (!holds(place.path))
        throw Error(fmt::format("{} {} (from {}) {}", what, place.path.string(), place.source,
                                fs::exists(place.path) ? (kind == PlaceKind::file ? "is not a file" : "is not a folder")
                                                       : "does not exist"),
                    ExitCode::bad_input);
      return {place.path, place.source};
    }
    if (holds(place.path)) return {place.path, place.source};
    looked.push_back(fmt::format("{} ({})", place.path.string(), place.source));
  }
  throw Error(fmt::format("no {}: looked at {}; {}", what, fmt::join(looked, ", "), hint), ExitCode::bad_input);
}

}  // namespace trustnet
