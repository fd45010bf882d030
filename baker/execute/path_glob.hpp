#pragma once
// glob(3) over a tree that is not the host's: a pattern's components are matched with fnmatch
// (a leading dot only by a leading dot), folders are read through `list`, and the matches come
// back sorted. The engines without a shell of their own use it.
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace trustnet::baker {

struct GlobTree {
  // The names in a folder (through links); nothing when the path is not a folder.
  std::function<std::optional<std::vector<std::string>>(const std::string& folder)> list;
  std::function<bool(const std::string& path)> exists;  // the path itself, links not followed
};

std::vector<std::string> expand_glob(const std::string& pattern, const GlobTree& tree);

}  // namespace trustnet::baker
