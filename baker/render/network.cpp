#include "baker/render/network.hpp"

#include <fmt/format.h>

namespace trustnet::baker {

std::string render_interfaces(const NetworkSpec& network) {
  std::string text = "# Written by bake. IPv6 ULA on the appliance bridge";
  text += network.ipv4_fallback_interface ? "; IPv4 by DHCP on the fallback interface.\n\n" : ".\n\n";
  text += "auto lo\niface lo inet loopback\n\n";
  text += fmt::format("auto {0}\niface {0} inet6 static\n\taddress {1}\n\tnetmask {2}\n", network.interface,
                      network.address, network.prefix);
  if (network.gateway) text += fmt::format("\tgateway {}\n", *network.gateway);
  if (network.ipv4_fallback_interface)
    text += fmt::format("\nauto {0}\niface {0} inet dhcp\n", *network.ipv4_fallback_interface);
  return text;
}

std::string render_hostname(const Recipe& recipe) { return recipe.hostname + "\n"; }

std::string render_hosts(const Recipe& recipe) {
  std::string fqdn = fmt::format("{}.{}", recipe.hostname, recipe.domain);
  return fmt::format(
      "127.0.0.1\tlocalhost localhost.localdomain\n"
      "::1\tlocalhost localhost.localdomain\n"
      "{}\t{} {}\n",
      recipe.network.address, fqdn, recipe.hostname);
}

}  // namespace trustnet::baker
