#pragma once
// What both programs rely on the two appliances to hold: the accounts, folders and ports that the
// recipes (recipes/node.yaml, recipes/registry.yaml) bake into the golden images and that the
// launcher's seed disk, probes and `launch ssh` use. The recipes state them for the images; this
// header states them for the code, once. Changing one here means changing both recipes.
#include <cstdint>
#include <string_view>

namespace trustnet::appliance {

namespace node {
inline constexpr std::string_view user = "warden";              // runs CometBFT; the operator logs in as it
inline constexpr std::string_view home = "/opt/trustnet/node";  // CometBFT's --home
inline constexpr std::string_view config_dir = "/opt/trustnet/node/config";
inline constexpr std::string_view validator_state = "/opt/trustnet/node/data/priv_validator_state.json";
inline constexpr uint16_t rpc_port = 26657;  // HTTPS, with the seed's certificate
inline constexpr uint16_t p2p_port = 26656;
}  // namespace node

namespace registry {
inline constexpr std::string_view user = "keeper";  // runs the registry; the operator logs in as it
inline constexpr std::string_view config = "/etc/trustnet-registry/config.yml";
inline constexpr std::string_view caddyfile = "/etc/trustnet-registry/Caddyfile";
inline constexpr std::string_view htpasswd = "/etc/trustnet-registry/htpasswd";
inline constexpr std::string_view tls_certificate = "/etc/trustnet-registry/tls/registry.crt";
inline constexpr std::string_view tls_key = "/etc/trustnet-registry/tls/registry.key";
inline constexpr uint16_t https_port = 8053;  // Caddy in front of the registry on loopback
}  // namespace registry

}  // namespace trustnet::appliance
