#include "launcher/identity/network_identity.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <set>

#include "common/config/appliance_contract.hpp"
#include "common/config/cometbft_config.hpp"
#include "common/config/rules.hpp"
#include "common/util/atomic_file.hpp"
#include "common/util/encoding.hpp"
#include "common/util/error.hpp"
#include "common/util/file_lock.hpp"
#include "common/util/interrupt.hpp"
#include "common/util/private_folder.hpp"
#include "common/util/text_file.hpp"
#include "launcher/identity/cometbft_keys.hpp"
#include "launcher/identity/htpasswd.hpp"
#include "launcher/identity/openssh_key.hpp"
#include "launcher/identity/seed_disk.hpp"
#include "launcher/identity/tls_certificates.hpp"

namespace trustnet::launcher {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const std::string kNodeUser{appliance::node::user};
const std::string kRegistryUser{appliance::registry::user};
constexpr int kCaDays = 3650, kServerDays = 825;

struct InstanceKeys {
  Ed25519Key ssh_host, node, validator;
  std::string tls_certificate, tls_key;
  std::string htpasswd;  // registry only
};

const fs::perms kPrivate = fs::perms(0600);

// A key file's content is never quoted in a message: the field and the reason only.
Error damaged(const fs::path& file, const std::string& why) {
  return Error(
      fmt::format("{}: not a TrustNet instance key file ({}); restore it, or make new identities with --rotate",
                  file.string(), why));
}

Ed25519Key key_from_hex(const json& j, const char* field, const fs::path& file) {
  if (!j.contains(field) || !j[field].is_string()) throw damaged(file, fmt::format("no text field {}", field));
  std::vector<uint8_t> seed;
  try {
    seed = hex_decode(j[field].get<std::string>());
  } catch (const Error& e) {
    throw damaged(file, fmt::format("{}: {}", field, e.what()));
  }
  if (seed.size() != 32) throw damaged(file, fmt::format("{} is not a 32-byte seed", field));
  return ed25519_from_seed(std::span<const uint8_t, 32>(seed.data(), 32));
}

InstanceKeys new_keys() { return {ed25519_generate(), ed25519_generate(), ed25519_generate(), "", "", ""}; }

InstanceKeys load_keys(const fs::path& file) {
  json j;
  try {
    j = json::parse(read_secret_file(file));
  } catch (const json::parse_error& e) {
    throw damaged(file, fmt::format("not JSON at byte {}", e.byte));  // e.what() would quote what it read
  }
  if (!j.is_object()) throw damaged(file, "not a JSON object");
  auto text = [&](const char* field) {
    if (!j.contains(field)) return std::string();
    if (!j[field].is_string()) throw damaged(file, fmt::format("{} is not text", field));
    return j[field].get<std::string>();
  };
  InstanceKeys keys{key_from_hex(j, "ssh_host_ed25519", file),
                    key_from_hex(j, "node_key", file),
                    key_from_hex(j, "validator_key", file),
                    text("tls_certificate"),
                    text("tls_key"),
                    text("htpasswd")};
  if (!keys.tls_certificate.empty())
    if (auto problem = pem_pair_problem({keys.tls_certificate, keys.tls_key}))
      throw damaged(file, "tls_certificate and tls_key: " + *problem);
  return keys;
}

void save_keys(const fs::path& file, const InstanceKeys& k) {
  json j = {{"ssh_host_ed25519", hex_lower(k.ssh_host.seed)},
            {"node_key", hex_lower(k.node.seed)},
            {"validator_key", hex_lower(k.validator.seed)},
            {"tls_certificate", k.tls_certificate},
            {"tls_key", k.tls_key},
            {"htpasswd", k.htpasswd}};
  write_file_atomically(file, j.dump(2) + "\n", kPrivate);
}

void check_definition(const NetworkDefinition& network) {
  if (auto problem = check_chain_id(network.chain_id)) throw Error(*problem);
  std::set<std::string> names;
  DistinctAddresses addresses;
  size_t nodes = 0;
  for (const auto& instance : network.instances) {
    if (auto problem = check_instance_name(instance.name)) throw Error(*problem);
    if (!names.insert(instance.name).second) throw Error(fmt::format("two instances are named {}", instance.name));
    if (auto problem = check_ipv6_ula(instance.address)) throw Error(fmt::format("{}: {}", instance.name, *problem));
    if (auto holder = addresses.claim(*parse_ipv6(instance.address), instance.name))
      throw Error(fmt::format("address {} of {} is already {}'s", instance.address, instance.name, *holder));
    if (instance.role == Role::node) ++nodes;
  }
  if (nodes == 0)
    throw Error(fmt::format("network {} has no node instance: a chain needs at least one validator", network.chain_id));
}

ServerIdentity server_identity(const InstanceDefinition& instance, const std::string& domain) {
  const std::string role = instance.role == Role::node ? "node" : "registry";
  return {instance.hostname,
          {instance.hostname, instance.hostname + "." + domain, role + "." + domain},
          {instance.address}};
}

// Whether a stored "user:hash\n" line is still the one for `password`.
bool htpasswd_holds(const std::string& line, const std::string& password) {
  const auto colon = line.find(':');
  if (colon == std::string::npos || line.empty() || line.back() != '\n') return false;
  return bcrypt_matches(password, line.substr(colon + 1, line.size() - colon - 2));
}

std::vector<std::string> validator_names(const json& genesis) {
  std::vector<std::string> names;
  for (const auto& v : genesis.at("validators")) names.push_back(v.at("address").get<std::string>());
  return names;
}

// What `launch init` writes, worked out before anything is written.
struct CertificateAuthority {
  PemPair pem;
  bool is_new = false;
};
struct RegistryPassword {
  std::string text;
  bool is_new = false;  // then shown once
};
struct NetworkFiles {
  CertificateAuthority ca;
  RegistryPassword password;
  std::vector<InstanceKeys> keys;  // in the order of the network's instances
  std::string genesis;
  std::vector<Seed> seeds;
  json summary;
  std::string known_hosts;
};

CertificateAuthority load_or_make_ca(const fs::path& shared, const std::string& chain_id, bool rotate) {
  if (!rotate && fs::exists(shared / "ca.key") && fs::exists(shared / "ca.crt")) {
    PemPair pem{read_text_file(shared / "ca.crt", 1 << 20), read_secret_file(shared / "ca.key")};
    if (auto problem = pem_pair_problem(pem))
      throw Error(fmt::format("{} and ca.crt do not make a certificate authority ({}); restore them, or make new "
                              "identities with --rotate",
                              (shared / "ca.key").string(), *problem),
                  ExitCode::bad_input);
    return {std::move(pem), false};
  }
  return {create_certificate_authority(fmt::format("TrustNet CA {}", chain_id), kCaDays), true};
}

RegistryPassword load_or_make_password(const fs::path& file, bool rotate) {
  if (rotate || !fs::exists(file)) return {generate_password(), true};
  std::string password = read_secret_file(file);
  while (!password.empty() && password.back() == '\n') password.pop_back();
  return {password, false};
}

// Each instance's keys: kept unless rotating; its TLS certificate new with a new CA; the
// registry's htpasswd line new with a new password.
std::vector<InstanceKeys> load_or_make_keys(const NetworkDefinition& network, const fs::path& state_dir, bool rotate,
                                            const NetworkFiles& files, InitResult& result) {
  std::vector<InstanceKeys> keys;
  for (const auto& instance : network.instances) {
    const fs::path file = state_dir / instance.name / "keys.json";
    const bool exists = !rotate && fs::exists(file);
    InstanceKeys k = exists ? load_keys(file) : new_keys();
    (exists ? result.kept : result.created).push_back(instance.name);
    if (files.ca.is_new || k.tls_certificate.empty()) {
      PemPair tls = issue_server_certificate(files.ca.pem, server_identity(instance, network.domain), kServerDays);
      k.tls_certificate = tls.certificate;
      k.tls_key = tls.private_key;
    }
    if (instance.role == Role::registry && !htpasswd_holds(k.htpasswd, files.password.text))
      k.htpasswd = htpasswd_line(kRegistryUser, files.password.text);
    keys.push_back(std::move(k));
  }
  return keys;
}

std::vector<GenesisValidator> node_validators(const NetworkDefinition& network, const std::vector<InstanceKeys>& keys) {
  std::vector<GenesisValidator> validators;
  for (size_t i = 0; i < network.instances.size(); ++i)
    if (network.instances[i].role == Role::node)
      validators.push_back({network.instances[i].hostname, keys[i].validator, 1});
  return validators;
}

std::vector<Peer> node_peers(const NetworkDefinition& network, const std::vector<InstanceKeys>& keys) {
  std::vector<Peer> peers;
  for (size_t i = 0; i < network.instances.size(); ++i)
    if (network.instances[i].role == Role::node)
      peers.push_back({cometbft_node_id(keys[i].node), network.instances[i].address});
  return peers;
}

// One genesis for the whole network; a changed validator set is a new chain.
std::string network_genesis(const NetworkDefinition& network, const std::vector<InstanceKeys>& keys,
                            const fs::path& genesis_file, const InitOptions& options) {
  const std::vector<GenesisValidator> validators = node_validators(network, keys);
  std::string genesis_time = options.genesis_time;
  if (!options.rotate && fs::exists(genesis_file)) {
    json existing = json::parse(read_text_file(genesis_file));
    json wanted = genesis_json(network.chain_id, existing.at("genesis_time").get<std::string>(), validators);
    if (validator_names(existing) != validator_names(wanted) || existing.at("chain_id") != wanted.at("chain_id"))
      throw Error(fmt::format(
          "the chain's validators or chain id changed since {} was made; that is a new chain: run with --rotate",
          genesis_file.string()));
    genesis_time = existing.at("genesis_time").get<std::string>();
  }
  return genesis_json(network.chain_id, genesis_time, validators).dump(2) + "\n";
}

// The seed disk of one instance: its host key, the CA, and its role's keys and configuration.
Seed instance_seed(const InstanceDefinition& instance, const InstanceKeys& k, const std::string& ca_certificate,
                   const std::string& genesis, const std::vector<Peer>& peers) {
  Seed seed{instance.hostname, fmt::format("{}/{}", instance.address, instance.prefix), {}};
  seed.files.push_back(
      {"/etc/ssh/ssh_host_ed25519_key", openssh_private_key(k.ssh_host, "root@" + instance.hostname), 0600});
  seed.files.push_back(
      {"/etc/ssh/ssh_host_ed25519_key.pub", openssh_public_key(k.ssh_host, "root@" + instance.hostname), 0644});
  seed.files.push_back({"/etc/trustnet/ca.crt", ca_certificate, 0644});
  if (instance.role == Role::node) {
    std::vector<Peer> others;
    for (const auto& peer : peers)
      if (peer.address != instance.address) others.push_back(peer);
    CometbftConfig config;
    config.moniker = instance.hostname;
    config.persistent_peers = persistent_peers(others);
    config.external_address = fmt::format("[{}]:{}", instance.address, appliance::node::p2p_port);
    const std::string dir{appliance::node::config_dir};
    seed.files.push_back({dir + "/priv_validator_key.json", priv_validator_key_json(k.validator).dump(2) + "\n", 0600,
                          kNodeUser, kNodeUser});
    seed.files.push_back({dir + "/node_key.json", node_key_json(k.node).dump(2) + "\n", 0600, kNodeUser, kNodeUser});
    seed.files.push_back({dir + "/genesis.json", genesis, 0644, kNodeUser, kNodeUser});
    seed.files.push_back({dir + "/config.toml", render_cometbft_config(config), 0640, kNodeUser, kNodeUser});
    seed.files.push_back({dir + "/rpc.crt", k.tls_certificate, 0644, kNodeUser, kNodeUser});
    seed.files.push_back({dir + "/rpc.key", k.tls_key, 0600, kNodeUser, kNodeUser});
    seed.files.push_back({std::string(appliance::node::validator_state), priv_validator_state_json().dump() + "\n",
                          0600, kNodeUser, kNodeUser});
  } else {
    seed.files.push_back({std::string(appliance::registry::htpasswd), k.htpasswd, 0640, "root", kRegistryUser});
    seed.files.push_back({std::string(appliance::registry::tls_certificate), k.tls_certificate, 0644});
    seed.files.push_back({std::string(appliance::registry::tls_key), k.tls_key, 0600});
  }
  return seed;
}

// The public facts of one instance, for instances.json.
json instance_summary(const InstanceDefinition& instance, const InstanceKeys& k) {
  json entry = {{"name", instance.name},
                {"hostname", instance.hostname},
                {"address", instance.address},
                {"ssh_host_key", openssh_public_key(k.ssh_host, "")}};
  if (instance.role == Role::node) {
    entry["role"] = "node";
    entry["node_id"] = cometbft_node_id(k.node);
    entry["validator_address"] = cometbft_address(k.validator);
  } else {
    entry["role"] = "registry";
  }
  return entry;
}

void write_network_files(const NetworkFiles& files, const NetworkDefinition& network, const fs::path& state_dir,
                         InitResult& result) {
  const fs::path shared = state_dir / "network";
  if (files.ca.is_new) {
    write_file_atomically(shared / "ca.key", files.ca.pem.private_key, kPrivate);
    write_file_atomically(shared / "ca.crt", files.ca.pem.certificate);
  }
  if (files.password.is_new) {
    write_file_atomically(shared / "registry-password", files.password.text + "\n", kPrivate);
    result.registry_password = files.password.text;
  }
  for (size_t i = 0; i < network.instances.size(); ++i) {
    const fs::path dir = state_dir / network.instances[i].name;
    make_private_folder(dir);
    save_keys(dir / "keys.json", files.keys[i]);
    write_seed_iso(dir / "seed.iso", files.seeds[i]);
    result.seeds.push_back(dir / "seed.iso");
  }
  write_file_atomically(shared / "genesis.json", files.genesis);
  write_file_atomically(shared / "instances.json", files.summary.dump(2) + "\n");
  write_file_atomically(shared / "known_hosts", files.known_hosts);
  result.ca_certificate = shared / "ca.crt";
}

}  // namespace

InitResult init_network(const NetworkDefinition& network, const fs::path& state_dir, const InitOptions& options) {
  check_definition(network);
  const fs::path shared = state_dir / "network";
  make_private_folder(shared);
  // Two inits at once would mix two CAs, passwords and key sets: one at a time.
  const FileLock lock = lock_or_refuse(state_dir / ".lock", "launch init", state_dir.string());

  // Everything is worked out first and written only at the end, so that a refusal or an
  // interruption (SIGINT, SIGTERM) leaves the previous identities exactly as they were.
  InitResult result;
  NetworkFiles files;
  files.ca = load_or_make_ca(shared, network.chain_id, options.rotate);
  files.password = load_or_make_password(shared / "registry-password", options.rotate);
  files.keys = load_or_make_keys(network, state_dir, options.rotate, files, result);
  files.genesis = network_genesis(network, files.keys, shared / "genesis.json", options);
  files.summary = {{"chain_id", network.chain_id}, {"instances", json::array()}};
  const std::vector<Peer> peers = node_peers(network, files.keys);
  for (size_t i = 0; i < network.instances.size(); ++i) {
    const InstanceDefinition& instance = network.instances[i];
    files.seeds.push_back(instance_seed(instance, files.keys[i], files.ca.pem.certificate, files.genesis, peers));
    files.summary["instances"].push_back(instance_summary(instance, files.keys[i]));
    // `launch ssh` checks the host key it made instead of trusting the first one offered.
    files.known_hosts +=
        fmt::format("{},{},{}.{} {}", instance.address, instance.hostname, instance.hostname, network.domain,
                    openssh_public_key(files.keys[i].ssh_host, "root@" + instance.hostname));
  }

  // Written only now, all of it: a signal that arrives from here on waits until the end.
  interrupt::throw_if_requested();
  write_network_files(files, network, state_dir, result);
  return result;
}

}  // namespace trustnet::launcher
