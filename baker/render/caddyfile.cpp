#include "baker/render/caddyfile.hpp"

#include <fmt/format.h>

namespace trustnet::baker {

std::string render_caddyfile(const RegistrySpec& r) {
  const bool acme = r.tls == RegistrySpec::Tls::acme;
  std::string text = "# Written by bake from the registry recipe; edit the recipe, not this file.\n{\n\tadmin off\n";
  if (acme) text += fmt::format("\temail {}\n", r.acme_email);
  text += fmt::format("\tstorage file_system {{\n\t\troot {}\n\t}}\n", r.caddy_data);
  // Nothing listens on port 80: no redirects from it.
  text += "\tauto_https disable_redirects\n}\n\n";
  std::string sites;
  for (const auto& name : r.names)
    sites += fmt::format("{}https://{}:{}", sites.empty() ? "" : ", ", name, r.https_port);
  // Let's Encrypt cannot certify addresses: they are served only with the TrustNet CA.
  if (!acme)
    for (const auto& address : r.addresses)
      sites += fmt::format("{}https://[{}]:{}", sites.empty() ? "" : ", ", address, r.https_port);
  text += sites + " {\n";
  text += acme ? fmt::format("\ttls {}\n", r.acme_email) : fmt::format("\ttls {} {}\n", r.certificate, r.key);
  text += fmt::format("\thandle /health {{\n\t\trewrite * /debug/health\n\t\treverse_proxy {}\n\t}}\n", r.debug_listen);
  text += fmt::format("\thandle {{\n\t\treverse_proxy {}\n\t}}\n}}\n", r.listen);
  return text;
}

}  // namespace trustnet::baker
