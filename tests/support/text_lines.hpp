#pragma once
// The lines of a text that start with a prefix (passwd entries, config lines).
#include <sstream>
#include <string>
#include <vector>

namespace trustnet::test {

inline std::vector<std::string> lines_starting(const std::string& text, const std::string& prefix) {
  std::vector<std::string> found;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(prefix)) found.push_back(line);
  return found;
}

}  // namespace trustnet::test
