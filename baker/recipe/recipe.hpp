#pragma once
// A recipe after loading, merging its includes and validating: everything a bake needs, as values.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/config/appliance_contract.hpp"
#include "common/util/error.hpp"

namespace trustnet::baker {

// An owner as the recipe names it: a user or group name, or a number.
struct Owner {
  std::string user = "root";
  std::string group = "root";
};

struct BaseImage {
  std::optional<std::string> url;             // where the release engineer gets it
  std::optional<std::filesystem::path> path;  // a local copy, used instead of the URL
  std::string sha256;
  std::string format = "qcow2";
  std::string provenance;  // where the pinned digest was taken from
  SourceLocation where;
};

struct UserSpec {
  std::string name;
  uint32_t uid = 0;
  std::optional<uint32_t> gid;  // primary group id; defaults to uid
  std::string gecos;
  std::string shell = "/bin/ash";
  std::optional<std::string> home;  // defaults to /home/NAME
  std::vector<std::string> groups;  // supplementary groups, which the base must have
  std::vector<std::filesystem::path> ssh_key_files;
  std::vector<std::string> ssh_keys;  // the files' keys, validated and de-duplicated
  SourceLocation where;

  uint32_t primary_gid() const { return gid.value_or(uid); }
  std::string home_dir() const { return home.value_or("/home/" + name); }
};

struct DirectorySpec {
  std::string path;
  Owner owner;
  uint32_t mode = 0755;
  SourceLocation where;
};

struct BinarySpec {
  std::string name;
  std::optional<std::string> url;
  std::optional<std::filesystem::path> path;
  std::string sha256;                 // of the download (the archive, when member is set)
  std::string unpinned_reason;        // set instead of sha256 when no digest could be found
  std::optional<std::string> member;  // the file to install from a .tar.gz or .zip release
  std::string destination;
  uint32_t mode = 0755;
  Owner owner;
  SourceLocation where;
};

struct OverlaySpec {
  std::filesystem::path source;
  std::string destination = "/";
  Owner owner;                            // every file and folder of the overlay
  std::map<std::string, uint32_t> modes;  // image path -> mode, for what must not be 0644/0755
  SourceLocation where;
};

struct ServiceSpec {
  std::string name;
  std::string description;
  std::string command;
  std::vector<std::string> args;
  std::optional<std::string> user;  // runs as root when absent
  std::vector<std::string> need;    // OpenRC depend(): need
  std::vector<std::string> after;   // OpenRC depend(): after
  std::optional<std::string> output_log;
  std::optional<std::string> error_log;
  std::optional<std::string> directory;
  std::map<std::string, std::string> environment;
  std::vector<std::string> requires_files;  // start refused while one is missing (instance identity)
  std::string runlevel = "default";
  SourceLocation where;
};

struct NetworkSpec {
  std::string interface = "eth0";
  std::string address;  // IPv6 ULA, no prefix
  int prefix = 64;
  std::optional<std::string> gateway;
  std::optional<std::string> ipv4_fallback_interface;  // configured by DHCP
  SourceLocation where;
};

struct SshPolicy {
  bool permit_root_login = false;
  bool password_authentication = false;
  std::vector<std::string> allow_users;  // the operator when empty
};

struct RecipeSource {
  std::filesystem::path file;
  std::string sha256;
};

// The CometBFT node of the node appliance: bake writes HOME/config/config.toml (no keys: those
// come from the instance's seed disk).
struct CometbftSpec {
  std::string home;
  std::string owner;    // the user the node runs as; owns config.toml
  std::string moniker;  // default: the hostname
  std::string proxy_app = "kvstore";
  std::string timeout_commit = "500ms";
  SourceLocation where;
};

// How Caddy obtains the registry's certificate from an ACME server (tls: acme). Only the issuer
// named here is asked: no second CA, and no e-mail to one, unless the recipe names it.
struct AcmeSpec {
  static constexpr const char* lets_encrypt = "https://acme-v02.api.letsencrypt.org/directory";
  static constexpr const char* lets_encrypt_staging = "https://acme-staging-v02.api.letsencrypt.org/directory";
  // tls-alpn-01: the ACME server reaches the public port 443, forwarded to https_port.
  // http-01: it reaches the public port 80, forwarded to the guest's port 80.
  // dns-01: a TXT record through a DNS provider module of a Caddy build the operator brings.
  enum class Challenge { tls_alpn, http, dns };
  std::string email;
  std::string directory = lets_encrypt;
  std::filesystem::path root_file;  // the ACME server's root, when no public CA (step-ca, Pebble)
  std::string root_pem;             // its text, read when the recipe is checked
  std::string root_path = "/etc/trustnet-registry/acme-root.pem";  // where the image has it
  Challenge challenge = Challenge::tls_alpn;
  std::string dns_provider;                     // dns-01: "<module> <arguments...>"
  std::optional<std::string> second_directory;  // a second issuer, tried only when named
};

// The registry appliance: the distribution registry on loopback behind Caddy (HTTPS). Credentials
// and TLS files come from the instance's seed disk; bake writes only the configuration.
struct RegistrySpec {
  enum class Tls { local_ca, acme };
  std::string config{appliance::registry::config};
  std::string caddyfile{appliance::registry::caddyfile};
  std::string storage = "/var/lib/trustnet-registry";
  std::string listen = "127.0.0.1:5000";        // registry API, loopback only
  std::string debug_listen = "127.0.0.1:5001";  // /debug/health, loopback only
  std::string htpasswd{appliance::registry::htpasswd};
  std::string owner{appliance::registry::user};  // the registry's user: reads config.yml
  int https_port = appliance::registry::https_port;
  std::vector<std::string> names = {"registry.trustnet.local"};
  std::vector<std::string> addresses;  // IPv6 addresses served too (local-ca only)
  Tls tls = Tls::local_ca;
  AcmeSpec acme;  // with tls: acme
  std::string certificate{appliance::registry::tls_certificate};
  std::string key{appliance::registry::tls_key};
  // Caddy's ACME account and certificates: on the state disk, kept across upgrades and restarts.
  std::string caddy_data = "/var/lib/trustnet-registry/caddy";
  SourceLocation where;
};

struct Recipe {
  std::string name;
  std::string hostname;
  std::string domain;
  BaseImage base;
  uint64_t disk_size = 0;
  std::string operator_user;
  std::vector<UserSpec> users;
  std::vector<DirectorySpec> directories;
  std::vector<BinarySpec> binaries;
  std::vector<OverlaySpec> overlays;
  std::vector<ServiceSpec> services;
  NetworkSpec network;
  SshPolicy ssh;
  std::optional<CometbftSpec> cometbft;
  std::optional<RegistrySpec> registry;
  // The base's cloud-init would replace an instance's host keys and host name on first boot.
  bool disable_cloud_init = false;
  std::vector<std::string> remove_users;  // accounts of the base to delete (e.g. alpine)
  std::vector<std::string> programs;      // what the appliance's own scripts run: the base must have each
  // Folders kept on the instance's state disk across new golden images (declared under
  // directories, which give their owner and mode); every service then needs trustnet-state.
  std::vector<DirectorySpec> state;
  std::vector<RecipeSource> sources;  // every file read, in order (digest input)

  const UserSpec* find_user(const std::string& name) const;
  UserSpec* find_user(const std::string& name);
  std::string digest() const;  // SHA-256 over every source file
};

}  // namespace trustnet::baker
