#pragma once
// CometBFT's config.toml (v0.38), written with toml++ rather than by concatenation. CometBFT
// takes its defaults for every key not written here. The golden node image gets one without
// peers; `launch init` writes each instance's with its persistent peers.
#include <string>

#include "common/config/appliance_contract.hpp"

namespace trustnet {

struct CometbftConfig {
  std::string moniker;
  std::string proxy_app = "kvstore";  // built in: a lone validator makes blocks
  std::string rpc_laddr = "tcp://[::]:" + std::to_string(appliance::node::rpc_port);
  std::string tls_cert_file = "rpc.crt";  // relative to HOME/config; from the seed disk
  std::string tls_key_file = "rpc.key";
  std::string p2p_laddr = "tcp://[::]:" + std::to_string(appliance::node::p2p_port);
  std::string persistent_peers;          // "ID@[ADDRESS]:26656,..."
  std::string external_address;          // "[ADDRESS]:26656": what peers are told to dial; none in a golden image
  std::string timeout_commit = "500ms";  // block time
};

std::string render_cometbft_config(const CometbftConfig& config);

}  // namespace trustnet
