#include "baker/execute/path_glob.hpp"

#include <fnmatch.h>

#include <algorithm>

namespace trustnet::baker {
namespace {

bool has_wildcard(const std::string& component) { return component.find_first_of("*?[") != std::string::npos; }

std::string join(const std::string& folder, const std::string& name) {
  return folder == "/" ? "/" + name : folder + "/" + name;
}

}  // namespace

std::vector<std::string> expand_glob(const std::string& pattern, const GlobTree& tree) {
  if (pattern.empty() || pattern.front() != '/') return {};
  std::vector<std::string> components;
  for (size_t start = 1; start <= pattern.size();) {
    const size_t slash = std::min(pattern.find('/', start), pattern.size());
    if (slash > start) components.push_back(pattern.substr(start, slash - start));
    start = slash + 1;
  }
  std::vector<std::string> found = {"/"};
  for (size_t i = 0; i < components.size(); ++i) {
    const std::string& component = components[i];
    const bool last = i + 1 == components.size();
    std::vector<std::string> next;
    for (const auto& folder : found) {
      if (!has_wildcard(component)) {
        const std::string path = join(folder, component);
        if (last ? tree.exists(path) : tree.list(path).has_value()) next.push_back(path);
        continue;
      }
      auto names = tree.list(folder);
      if (!names) continue;
      for (const auto& name : *names)
        if (fnmatch(component.c_str(), name.c_str(), FNM_PERIOD) == 0) next.push_back(join(folder, name));
    }
    found = std::move(next);
  }
  if (components.empty()) return {};
  std::sort(found.begin(), found.end());
  return found;
}

}  // namespace trustnet::baker
