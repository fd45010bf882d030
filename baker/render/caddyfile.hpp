#pragma once
// Caddy in front of the registry: HTTPS on one port for the registry's names (and, with the
// TrustNet CA, its ULA addresses); /health answers from the registry's debug health, everything
// else goes to the registry API. The admin endpoint is off. TLS: certificate files from the
// seed disk (local-ca), or Let's Encrypt for public names (acme).
#include <string>

#include "baker/recipe/recipe.hpp"

namespace trustnet::baker {

std::string render_caddyfile(const RegistrySpec& registry);

}  // namespace trustnet::baker
