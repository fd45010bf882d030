#pragma once
// Network identity files: /etc/network/interfaces, /etc/hostname, /etc/hosts.
#include <string>

#include "baker/recipe/recipe.hpp"

namespace trustnet::baker {

std::string render_interfaces(const NetworkSpec& network);
std::string render_hostname(const Recipe& recipe);
std::string render_hosts(const Recipe& recipe);

}  // namespace trustnet::baker
