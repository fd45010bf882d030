#include "common/config/cometbft_config.hpp"

#include <doctest/doctest.h>

#include <toml++/toml.h>

#include "common/util/process.hpp"
#include "support/temp_dir.hpp"

using namespace trustnet;

TEST_CASE(
    "config.toml parses as TOML and holds the node's moniker, application, listeners, TLS files, peers and block "
    "time") {
  CometbftConfig input;
  input.moniker = "trustnet-node";
  input.persistent_peers = "aa11@[fd10:1234::3]:26656,bb22@[fd10:1234::4]:26656";
  const std::string text = render_cometbft_config(input);
  toml::table config = toml::parse(text);
  CHECK(config["moniker"].value<std::string>() == "trustnet-node");
  CHECK(config["proxy_app"].value<std::string>() == "kvstore");
  CHECK(config["rpc"]["laddr"].value<std::string>() == "tcp://[::]:26657");
  CHECK(config["rpc"]["tls_cert_file"].value<std::string>() == "rpc.crt");
  CHECK(config["rpc"]["tls_key_file"].value<std::string>() == "rpc.key");
  CHECK(config["p2p"]["laddr"].value<std::string>() == "tcp://[::]:26656");
  CHECK(config["p2p"]["persistent_peers"].value<std::string>() == input.persistent_peers);
  CHECK(config["p2p"]["addr_book_strict"].value<bool>() == false);
  CHECK(config["consensus"]["timeout_commit"].value<std::string>() == "500ms");
  CHECK(config["priv_validator_key_file"].value<std::string>() == "config/priv_validator_key.json");
  CHECK_FALSE(config["p2p"]["external_address"]);  // a golden image's config names no address
  input.external_address = "[fd10:1234::1]:26656";
  CHECK(toml::parse(render_cometbft_config(input))["p2p"]["external_address"].value<std::string>() ==
        "[fd10:1234::1]:26656");

  // Python's tomllib, another TOML reader, sees the same values.
  test::TempDir dir;
  auto file = dir.write("config.toml", text);
  ProcessResult python = run_process(
      {"python3", "-c",
       "import sys, tomllib\nc = tomllib.load(open(sys.argv[1], 'rb'))\n"
       "print(c['moniker'], c['rpc']['laddr'], c['p2p']['persistent_peers'], c['consensus']['timeout_commit'])",
       file.string()});
  CHECK(python.exit_status == 0);
  CHECK(python.out == "trustnet-node tcp://[::]:26657 " + input.persistent_peers + " 500ms\n");
}

TEST_CASE("a moniker with quotes or backslashes is escaped, not able to break out of its string") {
  CometbftConfig input;
  input.moniker = "node \"one\" \\ two";
  toml::table config = toml::parse(render_cometbft_config(input));
  CHECK(config["moniker"].value<std::string>() == "node \"one\" \\ two");
  CHECK(config.size() == toml::parse(render_cometbft_config(CometbftConfig{})).size());
}
