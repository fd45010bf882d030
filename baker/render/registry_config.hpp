#pragma once
// The distribution registry's config.yml: filesystem storage with deletes, API and debug health
// on loopback, htpasswd (bcrypt) authentication, storage health checks.
#include <string>

#include "baker/recipe/recipe.hpp"

namespace trustnet::baker {

std::string render_registry_config(const RegistrySpec& registry);

}  // namespace trustnet::baker
