#pragma once
// Finding a file or folder the way users expect: the first of an ordered list of places that
// holds it; when none does, one error that names every place looked at.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace trustnet {

struct SearchPlace {
  std::filesystem::path path;
  std::string source;  // why this place is looked at: "--config", "$TRUSTNET_CONFIG", "the checkout", "installed"
  // A place the user named (an option, a variable) is taken as it is, found or not: falling
  // through to another file would run with a configuration nobody asked for.
  bool named = false;
};

struct FoundPlace {
  std::filesystem::path path;
  std::string source;
};

enum class PlaceKind { file, folder };

// `what` names the thing in the error ("launcher configuration"), `hint` says how to name one
// ("pass --config FILE or set TRUSTNET_CONFIG").
FoundPlace first_existing(std::string_view what, PlaceKind kind, const std::vector<SearchPlace>& places,
                          std::string_view hint);

}  // namespace trustnet
