#include "launcher/identity/network_identity.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <toml++/toml.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "common/util/error.hpp"
#include "common/util/process.hpp"
#include "common/util/text_file.hpp"
#include "launcher/identity/htpasswd.hpp"
#include "support/iso_files.hpp"
#include "support/temp_dir.hpp"

using namespace trustnet;
using namespace trustnet::launcher;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Four validators (the smallest network that tolerates a faulty one) and the registry.
NetworkDefinition four_validators() {
  NetworkDefinition n{"trustnet-test", "trustnet.local", {}};
  for (int i = 1; i <= 4; ++i)
    n.instances.push_back({"node" + std::to_string(i), Role::node, "trustnet-node-" + std::to_string(i),
                           "fd10:1234::" + std::to_string(i), 32});
  n.instances.push_back({"registry", Role::registry, "trustnet-registry", "fd10:1234::10", 32});
  return n;
}

const InitOptions kOptions{false, "2026-11-24T09:00:00Z"};

uint32_t mode_of(const fs::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

std::string seed_file(const fs::path& state, const std::string& instance, const std::string& path) {
  return test::read_iso(state / instance / "seed.iso").at("files" + path).content;
}

}  // namespace

TEST_CASE(
    "a 4-validator network gets 4 node seeds and a registry seed, one genesis listing all 4, and peers to the other "
    "3") {
  test::TempDir dir;
  const fs::path state = dir / "vms";
  InitResult result = init_network(four_validators(), state, kOptions);
  CHECK(result.created.size() == 5);
  CHECK(result.kept.empty());
  REQUIRE(result.registry_password.has_value());
  CHECK(result.seeds.size() == 5);
  CHECK(mode_of(state / "network/ca.key") == 0600);
  CHECK(mode_of(state / "network/registry-password") == 0600);
  CHECK(mode_of(state / "node1/keys.json") == 0600);
  CHECK(mode_of(state / "node1/seed.iso") == 0600);

  json genesis = json::parse(read_text_file(state / "network/genesis.json"));
  CHECK(genesis["chain_id"] == "trustnet-test");
  CHECK(genesis["genesis_time"] == "2026-11-24T09:00:00Z");
  REQUIRE(genesis["validators"].size() == 4);
  std::vector<std::string> node_ids;
  for (int i = 1; i <= 4; ++i) {
    const std::string name = "node" + std::to_string(i);
    json validator = json::parse(seed_file(state, name, "/opt/trustnet/node/config/priv_validator_key.json"));
    CHECK(genesis["validators"][i - 1]["address"] == validator["address"]);
    CHECK(genesis["validators"][i - 1]["pub_key"] == validator["pub_key"]);
    CHECK(genesis["validators"][i - 1]["name"] == "trustnet-node-" + std::to_string(i));
    CHECK(seed_file(state, name, "/opt/trustnet/node/config/genesis.json") ==
          read_text_file(state / "network/genesis.json"));
    json instances = json::parse(read_text_file(state / "network/instances.json"));
    node_ids.push_back(instances["instances"][i - 1]["node_id"]);
  }
  for (int i = 1; i <= 4; ++i) {
    toml::table config =
        toml::parse(seed_file(state, "node" + std::to_string(i), "/opt/trustnet/node/config/config.toml"));
    std::string expected;
    for (int j = 1; j <= 4; ++j)
      if (j != i)
        expected += (expected.empty() ? "" : ",") + node_ids[j - 1] + "@[fd10:1234::" + std::to_string(j) + "]:26656";
    CHECK(config["p2p"]["persistent_peers"].value<std::string>() == expected);
    CHECK(config["moniker"].value<std::string>() == "trustnet-node-" + std::to_string(i));
  }

  // The RPC certificate of node 1 is signed by the network's CA and names the node.
  auto rpc = dir.write("rpc.crt", seed_file(state, "node1", "/opt/trustnet/node/config/rpc.crt"));
  CHECK(run_checked({"openssl", "verify", "-CAfile", (state / "network/ca.crt").string(), rpc.string()}) ==
        rpc.string() + ": OK\n");
  CHECK(run_checked({"openssl", "x509", "-noout", "-ext", "subjectAltName", "-in", rpc.string()})
            .find("DNS:trustnet-node-1, DNS:trustnet-node-1.trustnet.local, DNS:node.trustnet.local, IP "
                  "Address:FD10:1234:0:0:0:0:0:1") != std::string::npos);
  // The registry's credentials hold the password shown once.
  const std::string htpasswd = seed_file(state, "registry", "/etc/trustnet-registry/htpasswd");
  REQUIRE(htpasswd.starts_with("keeper:$2b$"));
  CHECK(bcrypt_matches(*result.registry_password, htpasswd.substr(7, htpasswd.size() - 8)));
  auto manifest = test::read_iso(state / "registry/seed.iso").at("trustnet/manifest").content;
  CHECK(manifest.find("0600 root root /etc/trustnet-registry/tls/registry.key\n") != std::string::npos);
  CHECK(manifest.find("0640 root keeper /etc/trustnet-registry/htpasswd\n") != std::string::npos);
  // Private keys go to the seeds and the state folder only: never into what is shared.
  CHECK(read_text_file(state / "network/instances.json").find("PRIVATE") == std::string::npos);
  CHECK(read_text_file(state / "network/genesis.json").find("priv_key") == std::string::npos);
}

TEST_CASE("running init again keeps every identity and the password, --rotate makes new ones") {
  test::TempDir dir;
  const fs::path state = dir / "vms";
  InitResult first = init_network(four_validators(), state, kOptions);
  const std::string keys = read_text_file(state / "node2/keys.json");
  const std::string genesis = read_text_file(state / "network/genesis.json");
  const std::string ca = read_text_file(state / "network/ca.crt");

  InitResult again = init_network(four_validators(), state, {false, "2030-01-01T00:00:00Z"});
  CHECK(again.created.empty());
  CHECK(again.kept.size() == 5);
  CHECK_FALSE(again.registry_password.has_value());  // shown once only
  CHECK(read_text_file(state / "node2/keys.json") == keys);
  CHECK(read_text_file(state / "network/genesis.json") == genesis);  // same validators, same time
  CHECK(read_text_file(state / "network/ca.crt") == ca);

  InitResult rotated = init_network(four_validators(), state, {true, "2030-01-01T00:00:00Z"});
  CHECK(rotated.created.size() == 5);
  REQUIRE(rotated.registry_password.has_value());
  CHECK(*rotated.registry_password != *first.registry_password);
  CHECK(read_text_file(state / "node2/keys.json") != keys);
  CHECK(read_text_file(state / "network/ca.crt") != ca);
  CHECK(json::parse(read_text_file(state / "network/genesis.json"))["genesis_time"] == "2030-01-01T00:00:00Z");
}

TEST_CASE("a changed validator set is a new chain: refused without --rotate, bad definitions are refused") {
  test::TempDir dir;
  const fs::path state = dir / "vms";
  init_network(four_validators(), state, kOptions);
  NetworkDefinition five = four_validators();
  five.instances.push_back({"node5", Role::node, "trustnet-node-5", "fd10:1234::5", 32});
  CHECK_THROWS_WITH_AS(init_network(five, state, kOptions), doctest::Contains("that is a new chain: run with --rotate"),
                       Error);
  CHECK_FALSE(fs::exists(state / "node5"));

  NetworkDefinition twice = four_validators();
  twice.instances[1].name = "node1";
  CHECK_THROWS_WITH_AS(init_network(twice, dir / "other", kOptions), "two instances are named node1", Error);
  NetworkDefinition same_address = four_validators();  // one address written two ways
  same_address.instances[1].address = "fd10:1234:0::1";
  CHECK_THROWS_WITH_AS(init_network(same_address, dir / "other", kOptions),
                       "address fd10:1234:0::1 of node2 is already node1's", Error);
  NetworkDefinition global = four_validators();
  global.instances[2].address = "2001:db8::3";
  CHECK_THROWS_WITH_AS(init_network(global, dir / "other", kOptions),
                       "node3: '2001:db8::3' is not a unique local IPv6 address (fc00::/7)", Error);
  NetworkDefinition registry_only{"c", "trustnet.local", {{"registry", Role::registry, "r", "fd10:1234::2", 32}}};
  CHECK_THROWS_WITH_AS(init_network(registry_only, dir / "other", kOptions), doctest::Contains("has no node instance"),
                       Error);
}

TEST_CASE("a damaged key file is reported by field and reason, never by its content") {
  test::TempDir dir;
  const fs::path state = dir / "vms";
  init_network(four_validators(), state, kOptions);
  const json keys = json::parse(read_text_file(state / "node2/keys.json"));
  const std::string seed = keys["ssh_host_ed25519"];
  const std::string whole = read_text_file(state / "node2/keys.json");
  const std::vector<std::pair<std::string, std::string>> damages = {
      {whole.substr(0, whole.find(seed) + 40), "not JSON at byte"},  // cut short in the seed
      {std::regex_replace(whole, std::regex(seed), seed.substr(0, 60) + "zz" + seed.substr(62)),
       "ssh_host_ed25519: character 61"},
      {std::regex_replace(whole, std::regex(seed), seed.substr(0, 63)),
       "ssh_host_ed25519: a hexadecimal value has an odd number"},
      {std::regex_replace(whole, std::regex(seed), seed.substr(0, 62)), "ssh_host_ed25519 is not a 32-byte seed"},
      {std::regex_replace(whole, std::regex("\"node_key\""), "\"nodekey\""), "no text field node_key"},
  };
  for (const auto& [text, reason] : damages) {
    CAPTURE(reason);
    std::ofstream(state / "node2/keys.json", std::ios::trunc) << text;
    try {
      init_network(four_validators(), state, kOptions);
      FAIL("a damaged key file was accepted");
    } catch (const Error& e) {
      const std::string message = e.what();
      CHECK(message.find(reason) != std::string::npos);
      CHECK(message.find("not a TrustNet instance key file") != std::string::npos);
      CHECK(message.find(seed.substr(0, 16)) == std::string::npos);  // not a digit of the key
      CHECK(message.find(seed.substr(30, 16)) == std::string::npos);
    }
  }
}
