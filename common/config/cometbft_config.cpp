#include "common/config/cometbft_config.hpp"

#include <toml++/toml.h>
#include <sstream>

namespace trustnet {

std::string render_cometbft_config(const CometbftConfig& c) {
  toml::table config{
      {"moniker", c.moniker},
      {"proxy_app", c.proxy_app},
      {"db_backend", "goleveldb"},
      {"db_dir", "data"},
      {"log_level", "info"},
      {"genesis_file", "config/genesis.json"},
      {"priv_validator_key_file", "config/priv_validator_key.json"},
      {"priv_validator_state_file", "data/priv_validator_state.json"},
      {"node_key_file", "config/node_key.json"},
      {"rpc",
       toml::table{{"laddr", c.rpc_laddr}, {"tls_cert_file", c.tls_cert_file}, {"tls_key_file", c.tls_key_file}}},
      // ULA addresses are private: a strict address book would refuse every peer.
      {"p2p", toml::table{{"laddr", c.p2p_laddr},
                          {"persistent_peers", c.persistent_peers},
                          {"addr_book_strict", false},
                          {"pex", true}}},
      {"consensus", toml::table{{"timeout_commit", c.timeout_commit}}},
      {"instrumentation", toml::table{{"prometheus", false}}},
  };
  // The address this node tells its peers (and its address book); the command-line flag is
  // ignored by some versions, the file is not.
  if (!c.external_address.empty()) config["p2p"].as_table()->insert("external_address", c.external_address);
  std::ostringstream out;
  out << "# CometBFT configuration written by TrustNet; CometBFT's defaults apply to every key not here.\n";
  out << config << "\n";
  return out.str();
}

}  // namespace trustnet
