#include "launcher/config/instance_reader.hpp"

#include <fmt/format.h>

#include "common/config/rules.hpp"

namespace trustnet::launcher {
namespace fs = std::filesystem;
namespace {

int port(const YamlMap& map, const YAML::Node& node, const std::string& what) {
  const auto rule = [&what](std::string_view text) { return check_port(text, what); };
  return *parse_port(map.scalar(node, what, rule));
}

uint64_t size(const YamlMap& map, const std::string& key, uint64_t minimum) {
  const std::string text = map.string(key);
  auto value = parse_size(text);
  if (!value || *value < minimum)
    map.fail(map.get(key),
             fmt::format("{} '{}' must be a size of at least {}, such as 4G", key, text, format_size(minimum)));
  return *value;
}

Role read_role(const YamlMap& map) {
  const std::string role = map.string("role");
  if (role == "node") return Role::node;
  if (role == "registry") return Role::registry;
  map.fail(map.get("role"), fmt::format("role '{}' must be node or registry", role));
}

// A local golden image, or a release that `launch pull` fetches into the state folder.
void read_image(const YamlMap& map, const std::string& name, const fs::path& config_dir, const fs::path& state_dir,
                InstanceConfig& instance) {
  const std::string image = map.line("image");
  if (image.starts_with("oci://") || image.starts_with("https://") || image.starts_with("http://")) {
    const Parsed<ReleaseLocation> remote = parse_release_location(image);
    if (remote.problem) map.fail(map.get("image"), "image " + *remote.problem);
    instance.remote = remote.value;
    const bool node = instance.identity.role == Role::node;
    instance.image = release_link(state_dir, name) / (node ? "node.qcow2" : "registry.qcow2");
  } else {
    instance.image = fs::absolute(config_dir / image).lexically_normal();
  }
}

// Memory, disks, processors and the NIC's MAC.
void read_machine(const YamlMap& map, const std::string& name, InstanceConfig& instance) {
  instance.memory = size(map, "memory", 256ULL << 20);
  instance.disk_size = size(map, "disk", 1ULL << 30);
  if (map.has("state_disk")) instance.state_disk_size = size(map, "state_disk", 64ULL << 20);
  if (auto cpus = map.optional_uint("cpus", 64)) {
    if (*cpus < 1) map.fail(map.get("cpus"), "cpus must be from 1 to 64");
    instance.cpus = static_cast<int>(*cpus);
  }
  instance.mac = map.optional_string("mac", check_mac_address).value_or(derive_mac(name));
}

void read_forwards(const YamlMap& map, const std::string& file, const std::string& name, InstanceConfig& instance) {
  const YAML::Node forwards = map.get("forwards");
  if (!forwards) return;
  if (!forwards.IsSequence()) map.fail(forwards, fmt::format("instances.{}.forwards must be a list", name));
  for (const auto& item : forwards) {
    YamlMap forward(item, file, "a forward of " + name, {"host", "guest", "public", "via"});
    PortForward read{port(forward, forward.require("host"), "host"), port(forward, forward.require("guest"), "guest")};
    read.everywhere = forward.optional_bool("public").value_or(false);
    if (forward.has("via")) read.via = port(forward, forward.get("via"), "via");
    if (read.host < 1024) {
      if (!read.everywhere || !read.via)
        forward.fail(forward.require("host"),
                     fmt::format("host port {} is below 1024, which QEMU cannot open: set public: true and via: an "
                                 "unprivileged port QEMU listens on (launch network up redirects {} to it)",
                                 read.host, read.host));
      if (read.via < 1024) forward.fail(forward.get("via"), fmt::format("via {} must be 1024 or above", read.via));
    } else if (read.via) {
      forward.fail(forward.get("via"),
                   fmt::format("via is only for a host port below 1024; QEMU listens on {} itself", read.host));
    }
    instance.forwards.push_back(read);
  }
}

// UEFI firmware, or a kernel, initrd and command line given here.
void read_boot(const YamlMap& map, const fs::path& config_dir, InstanceConfig& instance) {
  const std::string boot = map.optional_string("boot").value_or("uefi");
  if (boot == "direct")
    instance.boot = BootMode::direct;
  else if (boot != "uefi")
    map.fail(map.get("boot"), fmt::format("boot '{}' must be uefi or direct", boot));
  if (instance.boot == BootMode::direct) {
    instance.kernel = fs::absolute(config_dir / map.line("kernel")).lexically_normal();
    instance.initrd = fs::absolute(config_dir / map.line("initrd")).lexically_normal();
    instance.append = map.optional_line("append").value_or("console=ttyAMA0");
  } else {
    for (const char* key : {"kernel", "initrd", "append"})
      if (map.has(key)) map.fail(map.get(key), fmt::format("{} applies only to boot: direct", key));
  }
}

// `acme:` of a registry whose recipe says tls: acme.
AcmeTrust read_acme(const YamlMap& parent, const std::string& file, const std::string& name,
                    const fs::path& config_dir) {
  YamlMap map(parent.get("acme"), file, "instances." + name + ".acme", {"name", "root", "warn_days"});
  AcmeTrust acme;
  acme.name = map.string("name", [](std::string_view text) -> Problem {
    if (auto problem = check_public_name(text)) return "acme name " + *problem;
    return std::nullopt;
  });
  if (auto root = map.optional_line("root")) acme.root = fs::absolute(config_dir / *root).lexically_normal();
  if (auto days = map.optional_uint("warn_days", 89)) {
    if (*days < 1) map.fail(map.get("warn_days"), "warn_days must be from 1 to 89");
    acme.warn_days = static_cast<int>(*days);
  }
  return acme;
}

}  // namespace

InstanceConfig read_instance(const YamlMap::Entry& entry, const std::string& file, const fs::path& config_dir,
                             int prefix, const fs::path& state_dir) {
  hold(entry.where, entry.name, check_instance_name);
  YamlMap map(entry.value, file, "instances." + entry.name,
              {"role", "image", "hostname", "address", "memory", "cpus", "disk", "state_disk", "mac", "forwards",
               "boot", "kernel", "initrd", "append", "user", "acme"});
  InstanceConfig instance;
  instance.identity.name = entry.name;
  instance.identity.prefix = prefix;
  instance.identity.role = read_role(map);
  read_image(map, entry.name, config_dir, state_dir, instance);
  instance.identity.hostname = map.string("hostname", check_hostname);
  instance.identity.address = map.string("address", check_ipv6_ula);
  read_machine(map, entry.name, instance);
  read_forwards(map, file, entry.name, instance);
  read_boot(map, config_dir, instance);
  instance.user = map.optional_string("user", check_user_name).value_or(default_operator(instance.identity.role));
  if (map.has("acme")) {
    if (instance.identity.role != Role::registry)
      map.fail(map.get("acme"), "acme applies only to a registry (its recipe's tls: acme)");
    instance.acme = read_acme(map, file, entry.name, config_dir);
  }
  instance.where = entry.where;
  return instance;
}

}  // namespace trustnet::launcher
