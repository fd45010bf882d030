#pragma once
// /etc/os-release as key/value pairs (os-release(5): shell-like assignments, optional quotes).
#include <map>
#include <string>
#include <string_view>

namespace trustnet::baker {

std::map<std::string, std::string> parse_os_release(std::string_view text);

// libguestfs' distro names for os-release IDs ("alpine" -> "alpinelinux"); others pass through.
std::string distro_from_os_release_id(const std::string& id);

}  // namespace trustnet::baker
