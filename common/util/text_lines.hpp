#pragma once
// The lines of a text, without their '\n': a last line without one counts, a final '\n' does not
// make an empty line after it. Views into `text`, which must outlive them.
#include <string_view>
#include <vector>

namespace trustnet {

inline std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  for (size_t start = 0; start < text.size();) {
    const size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    start = end == std::string_view::npos ? text.size() : end + 1;
  }
  return lines;
}

}  // namespace trustnet
