#include "launcher/config/launch_config.hpp"

#include <doctest/doctest.h>

#include <regex>

#include "launcher/network/tap_name.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"

using namespace trustnet;
using namespace trustnet::launcher;

namespace {

const std::string kValid = R"(network:
  chain_id: trustnet-1
bridge:
  name: trustnet0
  address: fd10:1234::fe/32
state: /srv/vms
instances:
  node:
    role: node
    image: out/node.qcow2
    hostname: trustnet-node
    address: fd10:1234::1
    memory: 8G
    cpus: 4
    disk: 50G
    forwards:
      - {host: 3222, guest: 22}
)";

// The one line a user would see for `text` as a configuration file.
std::string error_of(const std::string& text) {
  test::TempDir dir;
  try {
    load_launch_config(dir.write("launch.yaml", text));
  } catch (const Error& e) {
    std::string line = e.line();
    return line.substr(line.find("launch.yaml:") + 12);
  }
  return "no error";
}

std::string with(const std::string& from, const std::string& to) {
  return std::regex_replace(kValid, std::regex(from), to);
}

}  // namespace

TEST_CASE("the default launcher configuration describes both appliances on the ULA bridge") {
  LaunchConfig config = load_launch_config(test::source_dir() / "launcher/trustnet.yaml");
  CHECK(config.chain_id == "trustnet-1");
  CHECK(config.bridge_name == "trustnet0");
  CHECK(config.bridge_address == "fd10:1234::fe");
  CHECK(config.bridge_prefix == 32);
  REQUIRE(config.instances.size() == 2);
  const InstanceConfig& node = config.instances[0];
  CHECK(node.identity.role == Role::node);
  CHECK(node.identity.address == "fd10:1234::1");
  CHECK(node.memory == 8ULL << 30);
  CHECK(node.cpus == 4);
  CHECK(node.disk_size == 50ULL << 30);
  CHECK(node.image == (test::source_dir() / "out/node.qcow2").lexically_normal());
  REQUIRE(node.forwards.size() == 1);
  CHECK(node.forwards[0].host == 3222);
  const InstanceConfig& registry = config.instances[1];
  CHECK(registry.identity.role == Role::registry);
  CHECK(registry.forwards.size() == 2);
  CHECK(registry.forwards[1].host == 8053);
  CHECK(node.mac != registry.mac);
  CHECK(config.network().instances.size() == 2);
  CHECK(node.user == "warden");
  CHECK(registry.user == "keeper");
}

TEST_CASE("direct boot takes kernel and initrd beside the configuration and a command line, UEFI refuses them") {
  test::TempDir dir;
  const auto config = load_launch_config(
      dir.write("launch.yaml",
                kValid + "    boot: direct\n    kernel: boot/vmlinuz\n    initrd: /srv/initrd.gz\n    user: ops\n"));
  const InstanceConfig& node = config.instances.at(0);
  CHECK(node.boot == BootMode::direct);
  CHECK(node.kernel == dir.path() / "boot/vmlinuz");
  CHECK(node.initrd == "/srv/initrd.gz");
  CHECK(node.append == "console=ttyAMA0");
  CHECK(node.user == "ops");
  CHECK(error_of(kValid + "    boot: direct\n    initrd: i\n")
            .find("9:5: missing required key 'kernel' in instances.node") == 0);
  CHECK(error_of(kValid + "    kernel: vmlinuz\n") == "18:13: kernel applies only to boot: direct");
}

TEST_CASE("MACs derived from names are stable, locally administered and unicast") {
  CHECK(derive_mac("node") == derive_mac("node"));
  CHECK(derive_mac("node") != derive_mac("node2"));
  CHECK(std::regex_match(derive_mac("node"), std::regex("52:54:00(:[0-9a-f]{2}){3}")));
}

TEST_CASE("bad launcher configurations name the file, line and column of the fault") {
  CHECK(error_of(kValid + "    boot: floppy\n") == "18:11: boot 'floppy' must be uefi or direct");
  CHECK(error_of(with("address: fd10:1234::1", "address: 10.0.0.1")) ==
        "12:14: '10.0.0.1' is not a valid IPv6 address");
  CHECK(error_of(with("fd10:1234::fe/32", "fd10:1234::fe")) ==
        "5:12: bridge address 'fd10:1234::fe' needs a prefix, such as fd10:1234::fe/32");
  CHECK(error_of(with("fd10:1234::fe/32", "fd10:1234::fe/200")) ==
        "5:12: bridge address: IPv6 prefix length 200 is out of range (8 to 128)");
  CHECK(error_of(with("fd10:1234::fe/32", "fd10:1234::fe/x")) ==
        "5:12: bridge address: IPv6 prefix 'x' must be a number of bits such as 32");
  CHECK(error_of(with("role: node", "role: validator")) == "9:11: role 'validator' must be node or registry");
  CHECK(error_of(with("memory: 8G", "memory: lots")) ==
        "13:13: memory 'lots' must be a size of at least 256M, such as 4G");
  CHECK(error_of(with("guest: 22", "guest: 70000")) == "17:29: guest '70000' must be a port number from 1 to 65535");
  CHECK(error_of(with("    cpus: 4\n", "    cpus: 4\n    gpus: 1\n"))
            .find("15:5: unknown key 'gpus' in instances.node") == 0);
  CHECK(error_of(with("address: fd10:1234::1", "address: fd10:1234::fe")) ==
        "8:3: address fd10:1234::fe of node is already the bridge's");
  CHECK(error_of(with("  node:\n", "  Node:\n")) ==
        "8:3: instance name 'Node' must be lower-case letters, digits and '-'");
  CHECK(error_of(with("  node:\n", "  images:\n")) ==
        "8:3: instance name 'images' is taken: the state folder keeps network/, pinned/, images/ and cache/ beside "
        "the instances' folders");
  // Paths and the kernel's command line reach QEMU's arguments and libvirt's XML: one printable line.
  CHECK(error_of(with("state: /srv/vms", "state: \"/srv/\\x01vms\"")) ==
        "6:8: the launcher configuration.state holds a control character (/srv/\\x01vms): one printable line is "
        "expected");
  CHECK(error_of(with("image: out/node.qcow2", "image: \"out/\\e[2Jnode.qcow2\""))
            .starts_with("10:12: instances.node.image holds a control character"));
  CHECK(error_of(kValid + "    boot: direct\n    kernel: vmlinuz\n    initrd: initrd\n    append: \"quiet\\x01\"\n")
            .starts_with("21:13: instances.node.append holds a control character"));
  CHECK(error_of(kValid + "pull:\n  timeout: 0\n") == "19:12: pull.timeout must be at least 1 second");
}

TEST_CASE("a forward of a host port below 1024 goes through an unprivileged port QEMU opens on every address") {
  test::TempDir dir;
  const auto public_forward = [](const std::string& forward) {
    return with("      - \\{host: 3222, guest: 22\\}\n", "      - {host: 3222, guest: 22}\n      - " + forward + "\n");
  };
  const LaunchConfig config =
      load_launch_config(dir.write("launch.yaml", public_forward("{host: 443, guest: 8053, public: true, via: 8443}")));
  const PortForward& forward = config.instances[0].forwards[1];
  CHECK(forward.host == 443);
  CHECK(forward.everywhere);
  CHECK(forward.qemu_port() == 8443);
  CHECK(config.instances[0].forwards[0].qemu_port() == 3222);
  CHECK_FALSE(config.instances[0].forwards[0].everywhere);

  CHECK(error_of(public_forward("{host: 443, guest: 8053}")) ==
        "18:16: host port 443 is below 1024, which QEMU cannot open: set public: true and via: an unprivileged port "
        "QEMU listens on (launch network up redirects 443 to it)");
  CHECK(error_of(public_forward("{host: 443, guest: 8053, public: true, via: 80}")) ==
        "18:53: via 80 must be 1024 or above");
  CHECK(error_of(public_forward("{host: 8443, guest: 8053, via: 9443}")) ==
        "18:40: via is only for a host port below 1024; QEMU listens on 8443 itself");
  CHECK(error_of(public_forward("{host: 443, guest: 8053, public: true, via: 3222}")) ==
        "8:3: host port 3222 of node is forwarded twice");
}

TEST_CASE("a trusted release key is read beside the configuration and must exist") {
  test::TempDir dir;
  dir.write("keys/release.pub", "-----BEGIN PUBLIC KEY-----\n");
  const auto config = load_launch_config(
      dir.write("launch.yaml", with("state: /srv/vms", "state: /srv/vms\ntrusted_key: keys/release.pub")));
  CHECK(config.trusted_key == dir.path() / "keys/release.pub");
  CHECK_FALSE(load_launch_config(dir.write("plain.yaml", kValid)).trusted_key.has_value());
  CHECK(error_of(with("state: /srv/vms", "state: /srv/vms\ntrusted_key: nowhere.pub")).find("7:14: trusted_key ") == 0);
}

namespace {

std::string second_instance(const std::string& name, const std::string& address, const std::string& extra = "") {
  return "  " + name +
         ":\n    role: registry\n    image: out/r.qcow2\n    hostname: trustnet-registry\n    address: " + address +
         "\n    memory: 4G\n    disk: 30G\n" + extra;
}

}  // namespace

TEST_CASE(
    "addresses are compared as addresses: unique, inside the bridge prefix, never the bridge own, MACs and taps "
    "unique") {
  // The same address written two ways.
  CHECK(error_of(kValid + second_instance("registry", "fd10:1234:0::1")) ==
        "18:3: address fd10:1234:0::1 of registry is already node's");
  CHECK(error_of(kValid + second_instance("registry", "fd10:1234:0:0:0:0:0:fe")) ==
        "18:3: address fd10:1234:0:0:0:0:0:fe of registry is already the bridge's");
  CHECK(error_of(kValid + second_instance("registry", "fd99::2")) ==
        "18:3: address fd99::2 of registry is outside the bridge's prefix fd10:1234::fe/32");
  CHECK(error_of(kValid + second_instance("registry", "fd10:1234::2", "    mac: " + derive_mac("node") + "\n")) ==
        "18:3: mac " + derive_mac("node") + " of registry is already node's");
  // A long name becomes "tn-" and a digest; an instance named like that digest would share its tap.
  const std::string long_name = "validator-with-a-long-name";
  const std::string tap = tap_name(long_name);
  const std::string text = with("  node:\n", "  " + long_name + ":\n") + second_instance(tap.substr(3), "fd10:1234::2");
  CHECK(error_of(text) ==
        "18:3: instances " + long_name + " and " + tap.substr(3) + " would share the tap " + tap + "; rename one");
}

TEST_CASE("a relative state folder is the configuration's, wherever launch runs") {
  test::TempDir dir;
  const auto config = load_launch_config(dir.write("sub/launch.yaml", with("state: /srv/vms", "state: vms")));
  CHECK(config.state_dir == dir.path() / "sub/vms");
  CHECK(load_launch_config(dir.write("abs.yaml", kValid)).state_dir == "/srv/vms");
}

TEST_CASE("a registry with an ACME certificate names its public name, and optionally a root and a warning") {
  test::TempDir dir;
  const std::string registry = R"(  registry:
    role: registry
    image: out/registry.qcow2
    hostname: trustnet-registry
    address: fd10:1234::2
    memory: 1G
    disk: 30G
)";
  dir.write("pki/pebble.pem", "-----BEGIN CERTIFICATE-----\n");
  const LaunchConfig config = load_launch_config(
      dir.write("launch.yaml",
                kValid + registry + "    acme: {name: registry.example.org, root: pki/pebble.pem, warn_days: 20}\n"));
  const auto& acme = config.instances[1].acme;
  REQUIRE(acme.has_value());
  CHECK(acme->name == "registry.example.org");
  CHECK(acme->root == dir / "pki/pebble.pem");
  CHECK(acme->warn_days == 20);
  CHECK(load_launch_config(dir.write("b.yaml", kValid + registry + "    acme: {name: registry.example.org}\n"))
            .instances[1]
            .acme->warn_days == 14);
  CHECK_FALSE(config.instances[0].acme.has_value());

  CHECK(error_of(kValid + registry + "    acme: {name: registry.trustnet.local}\n") ==
        "25:18: acme name 'registry.trustnet.local' is a .local name, private by definition: a public CA cannot "
        "certify it");
  CHECK(error_of(kValid + "    acme: {name: registry.example.org}\n") ==
        "18:11: acme applies only to a registry (its recipe's tls: acme)");
  CHECK(error_of(kValid + registry + "    acme: {name: registry.example.org, warn_days: 0}\n") ==
        "25:51: warn_days must be from 1 to 89");
}
