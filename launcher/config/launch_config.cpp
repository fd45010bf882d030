#include "launcher/config/launch_config.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <pwd.h>

#include <unistd.h>

#include <cstdlib>
#include <map>
#include <set>

#include "common/config/appliance_contract.hpp"
#include "common/config/rules.hpp"
#include "common/config/yaml_reader.hpp"
#include "common/util/encoding.hpp"
#include "common/util/private_folder.hpp"
#include "common/util/sha256.hpp"
#include "launcher/config/config_location.hpp"
#include "launcher/config/instance_reader.hpp"
#include "launcher/network/tap_name.hpp"

namespace trustnet::launcher {
namespace fs = std::filesystem;

std::string derive_mac(const std::string& name) {
  const Sha256Digest digest = sha256_of(std::span(reinterpret_cast<const uint8_t*>(name.data()), name.size()));
  return fmt::format("52:54:00:{:02x}:{:02x}:{:02x}", digest[0], digest[1], digest[2]);
}

std::string default_operator(Role role) {
  return std::string(role == Role::node ? appliance::node::user : appliance::registry::user);
}

namespace {

fs::path expand_home(const std::string& text) {
  if (text == "~" || text.starts_with("~/")) {
    const char* home = std::getenv("HOME");
    if (!home || !*home) throw Error(fmt::format("state folder '{}' starts with ~ but HOME is not set", text));
    return fs::path(home) / text.substr(text.size() > 1 ? 2 : 1);
  }
  return text;
}

// A path of the configuration: with ~ for the home folder, relative to the configuration's folder.
fs::path configured_path(const std::string& text, const fs::path& config_dir) {
  const fs::path path = expand_home(text);
  return fs::absolute(path.is_absolute() ? path : config_dir / path).lexically_normal();
}

void read_network(const YamlMap& map, LaunchConfig& config) {
  YamlMap network(map.require("network"), map.file(), "network", {"chain_id", "domain"});
  config.chain_id = network.string("chain_id", check_chain_id);
  if (auto domain = network.optional_string("domain", check_domain)) config.domain = *domain;
}

void read_bridge(const YamlMap& map, LaunchConfig& config) {
  YamlMap bridge(map.require("bridge"), map.file(), "bridge", {"name", "address"});
  config.bridge_name = bridge.string("name", check_bridge_name);
  const std::string address = bridge.string("address");
  const auto slash = address.find('/');
  if (slash == std::string::npos)
    bridge.fail(bridge.get("address"),
                fmt::format("bridge address '{}' needs a prefix, such as fd10:1234::fe/32", address));
  config.bridge_address = address.substr(0, slash);
  hold(bridge.at_key("address"), config.bridge_address, check_ipv6_ula);
  const Parsed<int> prefix = parse_ipv6_prefix(address.substr(slash + 1));
  if (prefix.problem) bridge.fail(bridge.get("address"), "bridge address: " + *prefix.problem);
  config.bridge_prefix = prefix.value;
}

// Who runs QEMU when root starts launch, and the state folder (by default that user's).
void read_run_user_and_state(const YamlMap& map, LaunchConfig& config) {
  if (auto user = map.optional_string("user", check_user_name)) {
    if (*user == "root") map.fail(map.get("user"), "user root is refused: QEMU must not run with root's privileges");
    config.run_user = *user;
  }
  // A relative state folder is the configuration's, like its images: not wherever launch runs.
  if (auto state = map.optional_line("state")) {
    config.state_dir = configured_path(*state, config.file.parent_path());
  } else {
    // The run user (the service's) keeps the system's state folder, as root does.
    const passwd* run_user = ::getpwnam(config.run_user.c_str());
    const bool system = run_user && run_user->pw_uid == ::geteuid();
    config.state_dir = default_state_dir(system ? 0 : ::geteuid(), std::getenv("XDG_STATE_HOME"), std::getenv("HOME"));
  }
}

void read_trusted_key(const YamlMap& map, LaunchConfig& config) {
  auto key = map.optional_line("trusted_key");
  if (!key) return;
  config.trusted_key = configured_path(*key, config.file.parent_path());
  if (!fs::is_regular_file(*config.trusted_key))
    map.fail(map.get("trusted_key"), fmt::format("trusted_key {} does not exist", config.trusted_key->string()));
  // The key decides which releases run: as the configuration, only root's or the caller's.
  if (auto problem = untrusted_file(*config.trusted_key, "trusted_key")) map.fail(map.get("trusted_key"), *problem);
}

void read_pull(const YamlMap& map, LaunchConfig& config) {
  config.pull.cache = config.state_dir / "cache";
  const YAML::Node node = map.get("pull");
  if (!node) return;
  const fs::path dir = config.file.parent_path();
  YamlMap pull(node, map.file(), "pull", {"cache", "credentials", "ca", "timeout"});
  if (auto cache = pull.optional_line("cache")) config.pull.cache = configured_path(*cache, dir);
  if (auto credentials = pull.optional_line("credentials"))
    config.pull.credentials = configured_path(*credentials, dir);
  if (auto ca = pull.optional_line("ca")) {
    config.pull.ca = configured_path(*ca, dir);
    if (!fs::is_regular_file(*config.pull.ca))
      pull.fail(pull.get("ca"), fmt::format("ca {} does not exist", config.pull.ca->string()));
  }
  if (auto timeout = pull.optional_uint("timeout", 7 * 24 * 3600)) {
    if (*timeout == 0) pull.fail(pull.get("timeout"), "pull.timeout must be at least 1 second");
    config.pull.timeout = std::chrono::seconds(*timeout);
  }
}

// What an instance may not share with another or lack given the rest of the configuration:
// addresses compare as addresses (fd10:1234::1 is fd10:1234:0::1), MACs and taps as the kernel sees them.
class InstancesApart {
 public:
  explicit InstancesApart(const LaunchConfig& config)
      : config_(config), bridge_address_(*parse_ipv6(config.bridge_address)) {
    (void)addresses_.claim(bridge_address_, "the bridge");
  }

  void check(const InstanceConfig& instance) {
    const std::string& who = instance.identity.name;
    // A release from the network is used only once a key the operator trusts has verified it.
    if (instance.remote && !config_.trusted_key)
      throw Error(instance.where, fmt::format("the image of {} is remote ({}): set trusted_key (the release signing "
                                              "key's FILE.pub) so that what is pulled can be verified",
                                              who, location_text(*instance.remote)));
    // Plain HTTP is for anonymous pulls only: the signature makes the bytes safe, not the password.
    if (const auto* web = instance.remote ? std::get_if<WebLocation>(&*instance.remote) : nullptr;
        web && web->url.starts_with("http://") && config_.pull.credentials)
      throw Error(instance.where,
                  fmt::format("the image of {} is plain HTTP ({}) and pull.credentials is set: credentials travel "
                              "only over https://",
                              who, web->url));
    const Ipv6Address address = *parse_ipv6(instance.identity.address);
    if (!same_prefix(address, bridge_address_, config_.bridge_prefix))
      throw Error(instance.where,
                  fmt::format("address {} of {} is outside the bridge's prefix {}/{}", instance.identity.address, who,
                              config_.bridge_address, config_.bridge_prefix));
    if (auto holder = addresses_.claim(address, who))
      throw Error(instance.where,
                  fmt::format("address {} of {} is already {}'s", instance.identity.address, who, *holder));
    if (auto [it, added] = macs_.emplace(instance.mac, who); !added)
      throw Error(instance.where, fmt::format("mac {} of {} is already {}'s", instance.mac, who, it->second));
    if (auto [it, added] = taps_.emplace(tap_name(who), who); !added)
      throw Error(instance.where,
                  fmt::format("instances {} and {} would share the tap {}; rename one", it->second, who, it->first));
    for (const auto& forward : instance.forwards)
      for (int port : {forward.host, forward.via})
        if (port && !host_ports_.insert(port).second)
          throw Error(instance.where, fmt::format("host port {} of {} is forwarded twice", port, who));
  }

 private:
  const LaunchConfig& config_;
  const Ipv6Address bridge_address_;
  DistinctAddresses addresses_;
  std::map<std::string, std::string> macs_, taps_;
  std::set<int> host_ports_;
};

}  // namespace

NetworkDefinition LaunchConfig::network() const {
  NetworkDefinition definition{chain_id, domain, {}};
  for (const auto& instance : instances) definition.instances.push_back(instance.identity);
  return definition;
}

LaunchConfig load_launch_config(const fs::path& file) {
  if (!fs::is_regular_file(file))
    throw Error(fmt::format("launcher configuration {} does not exist (pass --config FILE)", file.string()),
                ExitCode::bad_input);
  YAML::Node root = load_yaml_file(file);
  YamlMap map(root, file.string(), "the launcher configuration",
              {"network", "bridge", "state", "user", "trusted_key", "pull", "instances"});
  LaunchConfig config;
  config.file = file;
  read_network(map, config);
  read_bridge(map, config);
  read_run_user_and_state(map, config);
  read_trusted_key(map, config);
  read_pull(map, config);
  InstancesApart apart(config);
  for (const auto& entry : map.entries("instances")) {
    InstanceConfig instance =
        read_instance(entry, map.file(), file.parent_path(), config.bridge_prefix, config.state_dir);
    apart.check(instance);
    config.instances.push_back(std::move(instance));
  }
  if (config.instances.empty()) map.fail(root, "the launcher configuration defines no instances");
  return config;
}

fs::path release_link(const fs::path& state_dir, const std::string& name) { return state_dir / name / "release"; }

std::vector<InstanceConfig> select_instances(const LaunchConfig& config, const std::string& which) {
  if (which == "all") return config.instances;
  std::vector<std::string> names;
  for (const auto& instance : config.instances) {
    if (instance.identity.name == which) return {instance};
    names.push_back(instance.identity.name);
  }
  throw Error(
      fmt::format("{} has no instance '{}' (it has: {}, or all)", config.file.string(), which, fmt::join(names, ", ")),
      ExitCode::bad_input);
}

}  // namespace trustnet::launcher
