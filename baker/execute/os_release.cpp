#include "baker/execute/os_release.hpp"

#include "common/util/text_lines.hpp"

namespace trustnet::baker {

std::map<std::string, std::string> parse_os_release(std::string_view text) {
  std::map<std::string, std::string> fields;
  for (const std::string_view line : split_lines(text)) {
    size_t eq = line.find('=');
    if (line.empty() || line.front() == '#' || eq == std::string_view::npos) continue;
    std::string key(line.substr(0, eq));
    std::string value(line.substr(eq + 1));
    while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) value.pop_back();
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front())
      value = value.substr(1, value.size() - 2);
    fields[key] = value;
  }
  return fields;
}

std::string distro_from_os_release_id(const std::string& id) {
  if (id == "alpine") return "alpinelinux";
  if (id == "rhel") return "rhel";
  return id;
}

}  // namespace trustnet::baker
