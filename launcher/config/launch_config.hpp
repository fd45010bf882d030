#pragma once
// The launcher's configuration file (config_location.hpp says which): the network, the bridge,
// the state folder and every instance. Read as strictly as recipes: unknown keys, missing keys
// and malformed values are errors with file:line:col.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/transfer/oci_reference.hpp"
#include "common/transfer/registry_credentials.hpp"
#include "common/util/error.hpp"
#include "launcher/config/network_definition.hpp"

namespace trustnet::launcher {

struct PortForward {
  int host = 0, guest = 0;  // TCP, on the IPv4 user-mode NIC
  // On every IPv4 address of the host (an ACME challenge, a public registry), not its loopback.
  bool everywhere = false;
  // A host port below 1024, which QEMU (no capability) cannot open: QEMU listens on `via`, and
  // `launch network up` has the host's nftables redirect `host` to it.
  int via = 0;
  int qemu_port() const { return via ? via : host; }
};

enum class BootMode { uefi, direct };

// A registry whose certificate comes from an ACME CA (its recipe's tls: acme): the launcher
// checks it by its public name against the system's roots and `root`, and warns before it lapses.
struct AcmeTrust {
  std::string name;            // the public name the certificate carries
  std::filesystem::path root;  // a root beyond the system's (a private ACME CA); empty: none
  int warn_days = 14;          // fewer days left than this: `degraded` (renewal is failing)
};

struct InstanceConfig {
  InstanceDefinition identity;  // name, role, hostname, address, prefix
  std::filesystem::path image;  // the golden image (for a remote one, where `launch pull` puts it)
  // `image: oci://…` or `https://…/NAME/`: a release that `launch pull` downloads and verifies.
  std::optional<ReleaseLocation> remote;
  uint64_t memory = 0, disk_size = 0;
  // The state disk (the chain, the registry's blobs), kept when a new image replaces the system.
  uint64_t state_disk_size = 20ULL << 30;
  int cpus = 1;
  std::string mac;  // derived from the name unless given
  std::vector<PortForward> forwards;
  BootMode boot = BootMode::uefi;
  // Direct boot only: the kernel, initrd and kernel command line that replace the firmware.
  std::filesystem::path kernel, initrd;
  std::string append;
  std::string user;  // the operator `launch ssh` logs in as
  std::optional<AcmeTrust> acme;
  SourceLocation where;
};

// The `pull:` section: where pulled releases are kept and how the servers are reached.
struct PullSettings {
  std::filesystem::path cache;                       // content-addressed; default STATE/cache
  std::optional<std::filesystem::path> credentials;  // USER:PASSWORD, mode 0600
  // What `launch pull` logs in with: read from `credentials` (or the environment) by the caller
  // before launch becomes the run user, so the file can stay root's.
  std::optional<RegistryCredentials> login;
  std::optional<std::filesystem::path> ca;  // else the system's CAs
  std::chrono::seconds timeout{3600};       // a whole pull gives up after this long
};

struct LaunchConfig {
  std::filesystem::path file;
  std::string chain_id, domain = "trustnet.local";
  std::string bridge_name;
  std::string bridge_address;  // the host's address on the bridge
  int bridge_prefix = 32;
  std::filesystem::path state_dir;
  // The account that keeps the state folder and runs QEMU when launch is started by root
  // (launcher/run/run_user.hpp); `user:`, default trustnet (the package makes it).
  std::string run_user = "trustnet";
  // A release signing key (bake keygen's FILE.pub): when set, every image must be a verified release image.
  std::optional<std::filesystem::path> trusted_key;
  PullSettings pull;
  std::vector<InstanceConfig> instances;

  NetworkDefinition network() const;
};

LaunchConfig load_launch_config(const std::filesystem::path& file);

// A stable, locally administered unicast MAC from the instance name: 52:54:00 (QEMU's prefix)
// and three bytes of SHA-256(name).
std::string derive_mac(const std::string& name);

// The appliance's operator account (common/config/appliance_contract.hpp): warden on the node, keeper on
// the registry.
std::string default_operator(Role role);

// The instances named on the command line: "all" or one name.
std::vector<InstanceConfig> select_instances(const LaunchConfig& config, const std::string& which);

// Where `launch pull` keeps an instance's current release: STATE/NAME/release, the release
// folder's files as hard links into the cache. A remote instance's image is ROLE.qcow2 in it.
std::filesystem::path release_link(const std::filesystem::path& state_dir, const std::string& name);

}  // namespace trustnet::launcher
