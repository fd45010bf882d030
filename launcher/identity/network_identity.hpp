#pragma once
// Every instance's identity for one network, created once and kept: SSH host keys, CometBFT node
// and validator keys, one genesis listing every validator, persistent peers, a TrustNet CA with
// certificates for the node RPC and the registry, the registry's credentials; and for each
// instance a seed disk holding its part. Layout of the state folder:
//   network/ca.crt, ca.key (0600)      the TrustNet CA, created once per network
//   network/genesis.json               the chain's genesis, all validators
//   network/registry-password (0600)   the registry operator's password
//   network/instances.json             chain id and each instance's node ID and address
//   network/known_hosts                every instance's SSH host key, for `launch ssh`
//   NAME/keys.json (0600)              the instance's private material, the source of truth
//   NAME/seed.iso (0600)               its seed disk (see seed_disk.hpp)
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "launcher/config/network_definition.hpp"

namespace trustnet::launcher {

struct InitOptions {
  bool rotate = false;       // make new identities for everything, CA included
  std::string genesis_time;  // RFC 3339; used when a new genesis is made
};

struct InitResult {
  std::vector<std::string> created, kept;        // instance names
  std::optional<std::string> registry_password;  // set only when it was created now: shown once
  std::filesystem::path ca_certificate;
  std::vector<std::filesystem::path> seeds;
};

InitResult init_network(const NetworkDefinition& network, const std::filesystem::path& state_dir,
                        const InitOptions& options);

}  // namespace trustnet::launcher
