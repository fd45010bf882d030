#include "launcher/identity/cometbft_keys.hpp"

#include <fmt/format.h>

#include "common/util/encoding.hpp"
#include "common/util/error.hpp"
#include "common/util/sha256.hpp"

namespace trustnet::launcher {
namespace {

std::span<const uint8_t> address_bytes(const Sha256Digest& digest) { return std::span(digest).first(20); }

}  // namespace

std::string cometbft_address(const Ed25519Key& key) { return hex_upper(address_bytes(sha256_of(key.public_key))); }

std::string cometbft_node_id(const Ed25519Key& key) { return hex_lower(address_bytes(sha256_of(key.public_key))); }

nlohmann::json cometbft_public_key_json(const Ed25519Key& key) {
  return {{"type", "tendermint/PubKeyEd25519"}, {"value", base64_encode(key.public_key)}};
}

namespace {

nlohmann::json private_key_json(const Ed25519Key& key) {
  // CometBFT's private key is Go's ed25519.PrivateKey: the seed followed by the public key.
  std::array<uint8_t, 64> both{};
  std::copy(key.seed.begin(), key.seed.end(), both.begin());
  std::copy(key.public_key.begin(), key.public_key.end(), both.begin() + 32);
  nlohmann::json json = {{"type", "tendermint/PrivKeyEd25519"}, {"value", base64_encode(both)}};
  std::fill(both.begin(), both.end(), 0);
  return json;
}

}  // namespace

nlohmann::json priv_validator_key_json(const Ed25519Key& key) {
  return {{"address", cometbft_address(key)},
          {"pub_key", cometbft_public_key_json(key)},
          {"priv_key", private_key_json(key)}};
}

nlohmann::json node_key_json(const Ed25519Key& key) { return {{"priv_key", private_key_json(key)}}; }

nlohmann::json priv_validator_state_json() { return {{"height", "0"}, {"round", 0}, {"step", 0}}; }

nlohmann::json genesis_json(const std::string& chain_id, const std::string& genesis_time,
                            const std::vector<GenesisValidator>& validators) {
  if (validators.empty()) throw Error(fmt::format("chain {} has no validator", chain_id));
  nlohmann::json list = nlohmann::json::array();
  for (const auto& v : validators) {
    if (v.power < 1) throw Error(fmt::format("validator {} has power {}; it must be at least 1", v.name, v.power));
    // 64-bit numbers are strings in CometBFT's JSON.
    list.push_back({{"address", cometbft_address(v.key)},
                    {"pub_key", cometbft_public_key_json(v.key)},
                    {"power", std::to_string(v.power)},
                    {"name", v.name}});
  }
  return {
      {"genesis_time", genesis_time},
      {"chain_id", chain_id},
      {"initial_height", "1"},
      {"consensus_params",
       {{"block", {{"max_bytes", "22020096"}, {"max_gas", "-1"}}},
        {"evidence",
         {{"max_age_num_blocks", "100000"}, {"max_age_duration", "172800000000000"}, {"max_bytes", "1048576"}}},
        {"validator", {{"pub_key_types", {"ed25519"}}}},
        {"version", {{"app", "0"}}},
        {"abci", {{"vote_extensions_enable_height", "0"}}}}},
      {"validators", list},
      {"app_hash", ""},
  };
}

std::string persistent_peers(const std::vector<Peer>& peers, uint16_t port) {
  std::string list;
  for (const auto& peer : peers)
    list += fmt::format("{}{}@[{}]:{}", list.empty() ? "" : ",", peer.node_id, peer.address, port);
  return list;
}

}  // namespace trustnet::launcher
