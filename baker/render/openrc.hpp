#pragma once
// OpenRC service files rendered from the recipe.
#include <string>

#include "baker/recipe/recipe.hpp"

namespace trustnet::baker {

// /etc/init.d/NAME: an openrc-run script supervised by supervise-daemon.
std::string render_openrc_script(const ServiceSpec& service, const std::string& recipe_name);
// /etc/conf.d/NAME: the service's environment; empty when it has none.
std::string render_openrc_conf(const ServiceSpec& service);

}  // namespace trustnet::baker
