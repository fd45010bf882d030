#include "launcher/config/launch_config.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <pwd.h>

#include <unistd.h>

#include <cstdlib>
#include <map>
#include <regex>
#include <set>

#include "common/config/appliance_contract.hpp"
#include "common/config/yaml_reader.hpp"
#include "common/util/encoding.hpp"
#include "common/util/sha256.hpp"
#include "common/util/validators.hpp"
#include "launcher/config/config_location.hpp"
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

int port(const YamlMap& map, const YAML::Node& node, const std::string& what) {
  const std::string text = map.scalar(node, what);
  const auto value = parse_port(text);
  if (!value) map.fail(node, fmt::format("{} '{}' must be a port number from 1 to 65535", what, text));
  return *value;
}

uint64_t size(const YamlMap& map, const std::string& key, uint64_t minimum) {
  const std::string text = map.string(key);
  auto value = parse_size(text);
  if (!value || *value < minimum)
    map.fail(map.get(key),
             fmt::format("{} '{}' must be a size of at least {}, such as 4G", key, text, format_size(minimum)));
  return *value;
}

InstanceConfig read_instance(const YamlMap::Entry& entry, const std::string& file, const fs::path& dir, int prefix,
                             const fs::path& state_dir) {
  if (auto problem = check_instance_name(entry.name)) throw Error(entry.where, *problem);
  YamlMap map(entry.value, file, "instances." + entry.name,
              {"role", "image", "hostname", "address", "memory", "cpus", "disk", "state_disk", "mac", "forwards",
               "boot", "kernel", "initrd", "append", "user"});
  InstanceConfig instance;
  instance.identity.name = entry.name;
  instance.identity.prefix = prefix;
  const std::string role = map.string("role");
  if (role == "node")
    instance.identity.role = Role::node;
  else if (role == "registry")
    instance.identity.role = Role::registry;
  else
    map.fail(map.get("role"), fmt::format("role '{}' must be node or registry", role));
  auto relative_to_config = [&](const fs::path& path) {
    return fs::absolute(path.is_absolute() ? path : dir / path).lexically_normal();
  };
  const std::string image = map.line("image");
  if (image.starts_with("oci://") || image.starts_with("https://") || image.starts_with("http://")) {
    const Parsed<ReleaseLocation> remote = parse_release_location(image);
    if (remote.problem) map.fail(map.get("image"), "image " + *remote.problem);
    instance.remote = remote.value;
    const bool node = instance.identity.role == Role::node;
    instance.image = release_link(state_dir, entry.name) / (node ? "node.qcow2" : "registry.qcow2");
  } else {
    instance.image = relative_to_config(image);
  }
  instance.identity.hostname = map.string("hostname");
  if (auto problem = check_hostname(instance.identity.hostname)) map.fail(map.get("hostname"), *problem);
  instance.identity.address = map.string("address");
  if (auto problem = check_ipv6_ula(instance.identity.address)) map.fail(map.get("address"), *problem);
  instance.memory = size(map, "memory", 256ULL << 20);
  instance.disk_size = size(map, "disk", 1ULL << 30);
  if (map.has("state_disk")) instance.state_disk_size = size(map, "state_disk", 64ULL << 20);
  if (auto cpus = map.optional_uint("cpus", 64)) {
    if (*cpus < 1) map.fail(map.get("cpus"), "cpus must be from 1 to 64");
    instance.cpus = static_cast<int>(*cpus);
  }
  static const std::regex mac("[0-9a-f]{2}(:[0-9a-f]{2}){5}");
  instance.mac = map.optional_string("mac").value_or(derive_mac(entry.name));
  if (!std::regex_match(instance.mac, mac))
    map.fail(map.get("mac"),
             fmt::format("mac '{}' must be six lower-case hex bytes, such as 52:54:00:12:34:56", instance.mac));
  if (std::stoi(instance.mac.substr(0, 2), nullptr, 16) & 1)
    map.fail(map.get("mac"), fmt::format("mac '{}' is a multicast address", instance.mac));
  if (YAML::Node forwards = map.get("forwards")) {
    if (!forwards.IsSequence()) map.fail(forwards, fmt::format("instances.{}.forwards must be a list", entry.name));
    for (const auto& item : forwards) {
      YamlMap forward(item, file, "a forward of " + entry.name, {"host", "guest"});
      instance.forwards.push_back(
          {port(forward, forward.require("host"), "host"), port(forward, forward.require("guest"), "guest")});
    }
  }
  const std::string boot = map.optional_string("boot").value_or("uefi");
  if (boot == "direct")
    instance.boot = BootMode::direct;
  else if (boot != "uefi")
    map.fail(map.get("boot"), fmt::format("boot '{}' must be uefi or direct", boot));
  if (instance.boot == BootMode::direct) {
    instance.kernel = relative_to_config(map.line("kernel"));
    instance.initrd = relative_to_config(map.line("initrd"));
    instance.append = map.optional_line("append").value_or("console=ttyAMA0");
  } else {
    for (const char* key : {"kernel", "initrd", "append"})
      if (map.has(key)) map.fail(map.get(key), fmt::format("{} applies only to boot: direct", key));
  }
  instance.user = map.optional_string("user").value_or(default_operator(instance.identity.role));
  if (auto problem = check_user_name(instance.user)) map.fail(map.get("user"), *problem);
  instance.where = entry.where;
  return instance;
}

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
  const std::string name = file.string();
  YAML::Node root = load_yaml_file(file);
  YamlMap map(root, name, "the launcher configuration",
              {"network", "bridge", "state", "user", "trusted_key", "pull", "instances"});
  LaunchConfig config;
  config.file = file;

  YamlMap network(map.require("network"), name, "network", {"chain_id", "domain"});
  config.chain_id = network.string("chain_id");
  if (auto problem = check_chain_id(config.chain_id)) network.fail(network.get("chain_id"), *problem);
  if (auto domain = network.optional_string("domain")) {
    if (auto problem = check_domain(*domain)) network.fail(network.get("domain"), *problem);
    config.domain = *domain;
  }

  YamlMap bridge(map.require("bridge"), name, "bridge", {"name", "address"});
  config.bridge_name = bridge.string("name");
  static const std::regex interface("[A-Za-z0-9_.-]{1,15}");
  if (!std::regex_match(config.bridge_name, interface) || check_interface_name(config.bridge_name))
    bridge.fail(bridge.get("name"), fmt::format("bridge name '{}' must be 1 to 15 letters, digits, '_', '.' or '-'",
                                                printable(config.bridge_name)));
  const std::string address = bridge.string("address");
  const auto slash = address.find('/');
  if (slash == std::string::npos)
    bridge.fail(bridge.get("address"),
                fmt::format("bridge address '{}' needs a prefix, such as fd10:1234::fe/32", address));
  config.bridge_address = address.substr(0, slash);
  if (auto problem = check_ipv6_ula(config.bridge_address)) bridge.fail(bridge.get("address"), *problem);
  const Parsed<int> prefix = parse_ipv6_prefix(address.substr(slash + 1));
  if (prefix.problem) bridge.fail(bridge.get("address"), "bridge address: " + *prefix.problem);
  config.bridge_prefix = prefix.value;

  if (auto user = map.optional_string("user")) {
    if (auto problem = check_user_name(*user)) map.fail(map.get("user"), *problem);
    if (*user == "root") map.fail(map.get("user"), "user root is refused: QEMU must not run with root's privileges");
    config.run_user = *user;
  }
  // A relative state folder is the configuration's, like its images: not wherever launch runs.
  if (auto state_text = map.optional_line("state")) {
    const fs::path state = expand_home(*state_text);
    config.state_dir = fs::absolute(state.is_absolute() ? state : file.parent_path() / state).lexically_normal();
  } else {
    // The run user (the service's) keeps the system's state folder, as root does.
    const passwd* run_user = ::getpwnam(config.run_user.c_str());
    const bool system = run_user && run_user->pw_uid == ::geteuid();
    config.state_dir = default_state_dir(system ? 0 : ::geteuid(), std::getenv("XDG_STATE_HOME"), std::getenv("HOME"));
  }
  if (auto key = map.optional_line("trusted_key")) {
    const fs::path path = expand_home(*key);
    config.trusted_key = fs::absolute(path.is_absolute() ? path : file.parent_path() / path).lexically_normal();
    if (!fs::is_regular_file(*config.trusted_key))
      map.fail(map.get("trusted_key"), fmt::format("trusted_key {} does not exist", config.trusted_key->string()));
  }
  auto relative_to_config = [&](const std::string& text) {
    const fs::path path = expand_home(text);
    return fs::absolute(path.is_absolute() ? path : file.parent_path() / path).lexically_normal();
  };
  config.pull.cache = config.state_dir / "cache";
  if (YAML::Node pull_node = map.get("pull")) {
    YamlMap pull(pull_node, name, "pull", {"cache", "credentials", "ca", "timeout"});
    if (auto cache = pull.optional_line("cache")) config.pull.cache = relative_to_config(*cache);
    if (auto credentials = pull.optional_line("credentials"))
      config.pull.credentials = relative_to_config(*credentials);
    if (auto ca = pull.optional_line("ca")) {
      config.pull.ca = relative_to_config(*ca);
      if (!fs::is_regular_file(*config.pull.ca))
        pull.fail(pull.get("ca"), fmt::format("ca {} does not exist", config.pull.ca->string()));
    }
    if (auto timeout = pull.optional_uint("timeout", 7 * 24 * 3600)) {
      if (*timeout == 0) pull.fail(pull.get("timeout"), "pull.timeout must be at least 1 second");
      config.pull.timeout = std::chrono::seconds(*timeout);
    }
  }
  // Addresses compare as addresses (fd10:1234::1 is fd10:1234:0::1), MACs and taps as the kernel sees them.
  const Ipv6Address bridge_address = *parse_ipv6(config.bridge_address);
  DistinctAddresses addresses;
  (void)addresses.claim(bridge_address, "the bridge");
  std::map<std::string, std::string> macs, taps;
  std::set<int> host_ports;
  for (const auto& entry : map.entries("instances")) {
    InstanceConfig instance = read_instance(entry, name, file.parent_path(), config.bridge_prefix, config.state_dir);
    // A release from the network is used only once a key the operator trusts has verified it.
    if (instance.remote && !config.trusted_key)
      throw Error(instance.where, fmt::format("the image of {} is remote ({}): set trusted_key (the release signing "
                                              "key's FILE.pub) so that what is pulled can be verified",
                                              instance.identity.name, location_text(*instance.remote)));
    // Plain HTTP is for anonymous pulls only: the signature makes the bytes safe, not the password.
    if (const auto* web = instance.remote ? std::get_if<WebLocation>(&*instance.remote) : nullptr;
        web && web->url.starts_with("http://") && config.pull.credentials)
      throw Error(instance.where,
                  fmt::format("the image of {} is plain HTTP ({}) and pull.credentials is set: credentials travel "
                              "only over https://",
                              instance.identity.name, web->url));
    const std::string& who = instance.identity.name;
    const Ipv6Address address = *parse_ipv6(instance.identity.address);
    if (!same_prefix(address, bridge_address, config.bridge_prefix))
      throw Error(instance.where,
                  fmt::format("address {} of {} is outside the bridge's prefix {}/{}", instance.identity.address, who,
                              config.bridge_address, config.bridge_prefix));
    if (auto holder = addresses.claim(address, who))
      throw Error(instance.where,
                  fmt::format("address {} of {} is already {}'s", instance.identity.address, who, *holder));
    if (auto [it, added] = macs.emplace(instance.mac, who); !added)
      throw Error(instance.where, fmt::format("mac {} of {} is already {}'s", instance.mac, who, it->second));
    if (auto [it, added] = taps.emplace(tap_name(who), who); !added)
      throw Error(instance.where,
                  fmt::format("instances {} and {} would share the tap {}; rename one", it->second, who, it->first));
    for (const auto& forward : instance.forwards)
      if (!host_ports.insert(forward.host).second)
        throw Error(instance.where,
                    fmt::format("host port {} of {} is forwarded twice", forward.host, instance.identity.name));
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
