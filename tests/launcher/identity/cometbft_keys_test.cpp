#include "launcher/identity/cometbft_keys.hpp"

#include <doctest/doctest.h>

#include "common/util/encoding.hpp"
#include "common/util/error.hpp"
#include "common/util/process.hpp"

using namespace trustnet;
using namespace trustnet::launcher;

namespace {

// RFC 8032, section 7.1, TEST 1.
const std::string kSeed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const std::string kPublic = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

Ed25519Key key_from_hex(const std::string& seed_hex) {
  auto seed = hex_decode(seed_hex);
  REQUIRE(seed.size() == 32);
  return ed25519_from_seed(std::span<const uint8_t, 32>(seed.data(), 32));
}

// The expected values, computed by Python's hashlib and base64 rather than by the code under test.
std::string python(const std::string& expression, const std::string& public_hex, const std::string& seed_hex = "") {
  return run_checked(
      {"python3", "-c",
       "import base64, hashlib, sys\npub = bytes.fromhex(sys.argv[1]); seed = bytes.fromhex(sys.argv[2])\n"
       "print(" +
           expression + ", end='')",
       public_hex, seed_hex});
}

}  // namespace

TEST_CASE("the Ed25519 public key of RFC 8032 test 1 comes out of its seed") {
  Ed25519Key key = key_from_hex(kSeed);
  CHECK(hex_lower(key.public_key) == kPublic);
  CHECK(hex_lower(key.seed) == kSeed);
  Ed25519Key a = ed25519_generate(), b = ed25519_generate();
  CHECK(a.seed != b.seed);
  CHECK(ed25519_from_seed(a.seed).public_key == a.public_key);
}

TEST_CASE("validator address and node ID are the first 20 bytes of SHA-256 of the public key") {
  Ed25519Key key = key_from_hex(kSeed);
  const std::string expected = python("hashlib.sha256(pub).hexdigest()[:40]", kPublic);
  REQUIRE(expected.size() == 40);
  CHECK(cometbft_node_id(key) == expected);
  std::string upper = expected;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK(cometbft_address(key) == upper);
}

TEST_CASE("priv_validator_key.json, node_key.json and priv_validator_state.json have CometBFT's shapes") {
  Ed25519Key key = key_from_hex(kSeed);
  nlohmann::json validator = priv_validator_key_json(key);
  CHECK(validator.size() == 3);
  CHECK(validator["address"] == cometbft_address(key));
  CHECK(validator["pub_key"]["type"] == "tendermint/PubKeyEd25519");
  CHECK(validator["pub_key"]["value"] == python("base64.b64encode(pub).decode()", kPublic));
  CHECK(validator["priv_key"]["type"] == "tendermint/PrivKeyEd25519");
  CHECK(validator["priv_key"]["value"] == python("base64.b64encode(seed + pub).decode()", kPublic, kSeed));
  nlohmann::json node = node_key_json(key);
  CHECK(node.size() == 1);
  CHECK(node["priv_key"] == validator["priv_key"]);
  CHECK(priv_validator_state_json().dump() == R"({"height":"0","round":0,"step":0})");
}

TEST_CASE("a genesis for 4 validators lists all 4 with their addresses, keys and powers as strings") {
  std::vector<GenesisValidator> validators;
  for (int i = 0; i < 4; ++i) validators.push_back({"node" + std::to_string(i + 1), ed25519_generate(), 10});
  nlohmann::json genesis = genesis_json("trustnet-1", "2026-11-24T09:00:00Z", validators);
  CHECK(genesis["chain_id"] == "trustnet-1");
  CHECK(genesis["genesis_time"] == "2026-11-24T09:00:00Z");
  CHECK(genesis["initial_height"] == "1");
  CHECK(genesis["app_hash"] == "");
  CHECK(genesis["consensus_params"]["validator"]["pub_key_types"] == nlohmann::json::array({"ed25519"}));
  CHECK(genesis["consensus_params"]["block"]["max_bytes"] == "22020096");
  CHECK(genesis["consensus_params"]["abci"]["vote_extensions_enable_height"] == "0");
  REQUIRE(genesis["validators"].size() == 4);
  for (size_t i = 0; i < 4; ++i) {
    const auto& v = genesis["validators"][i];
    CHECK(v["name"] == validators[i].name);
    CHECK(v["address"] == cometbft_address(validators[i].key));
    CHECK(v["pub_key"] == cometbft_public_key_json(validators[i].key));
    CHECK(v["power"] == "10");
    CHECK_FALSE(v.contains("priv_key"));
  }
  CHECK_THROWS_WITH_AS(genesis_json("trustnet-1", "2026-11-24T09:00:00Z", {}), "chain trustnet-1 has no validator",
                       Error);
  validators[2].power = 0;
  CHECK_THROWS_WITH_AS(genesis_json("c", "t", validators), "validator node3 has power 0; it must be at least 1", Error);
}

TEST_CASE("persistent peers are written ID@[address]:26656, comma-separated") {
  CHECK(persistent_peers({{"aa11", "fd10:1234::1"}, {"bb22", "fd10:1234::3"}}) ==
        "aa11@[fd10:1234::1]:26656,bb22@[fd10:1234::3]:26656");
  CHECK(persistent_peers({}).empty());
}
