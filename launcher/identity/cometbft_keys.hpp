#pragma once
// CometBFT's key files and genesis (v0.38): addresses, node IDs and the JSON it reads. Pure
// functions of the keys; times and chain parameters come from the caller.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/config/appliance_contract.hpp"
#include "launcher/identity/ed25519.hpp"

namespace trustnet::launcher {

// First 20 bytes of SHA-256 of the public key: upper-case hex for validators, lower-case as node ID.
std::string cometbft_address(const Ed25519Key& key);
std::string cometbft_node_id(const Ed25519Key& key);

nlohmann::json cometbft_public_key_json(const Ed25519Key& key);
nlohmann::json priv_validator_key_json(const Ed25519Key& key);
nlohmann::json node_key_json(const Ed25519Key& key);
nlohmann::json priv_validator_state_json();  // a validator that has signed nothing yet

struct GenesisValidator {
  std::string name;
  Ed25519Key key;  // only the public half is used
  int64_t power = 1;
};

// `genesis_time` is RFC 3339 (UTC). Throws Error when there is no validator or a power below 1.
nlohmann::json genesis_json(const std::string& chain_id, const std::string& genesis_time,
                            const std::vector<GenesisValidator>& validators);

struct Peer {
  std::string node_id;
  std::string address;  // IPv6
};
// "ID@[ADDRESS]:26656,..." as config.toml's persistent_peers wants it.
std::string persistent_peers(const std::vector<Peer>& peers, uint16_t port = appliance::node::p2p_port);

}  // namespace trustnet::launcher
