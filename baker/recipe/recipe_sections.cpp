#include "baker/recipe/recipe_sections.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <regex>
#include <set>

#include "common/config/rules.hpp"

namespace trustnet::baker {
namespace fs = std::filesystem;

fs::path local_path(const YamlMap& map, const std::string& text, const fs::path& relative_to) {
  if (text.empty()) map.fail(map.node(), "a local path must not be empty");
  fs::path path(text);
  return (path.is_absolute() ? path : relative_to / path).lexically_normal();
}

namespace {

std::string image_path(const YamlMap& map, const YAML::Node& node, const std::string& what) {
  return map.scalar(node, what, check_image_path);
}

std::string sha256_value(const YamlMap& map) {
  Parsed<std::string> sha256 = parse_sha256(map.string("sha256"));
  if (sha256.problem) map.fail(map.get("sha256"), *sha256.problem);
  return sha256.value;
}

uint32_t mode_value(const YamlMap& map, uint32_t fallback) {
  auto text = map.optional_string("mode");
  if (!text) return fallback;
  auto mode = parse_mode(*text);
  if (!mode) map.fail(map.get("mode"), fmt::format("mode '{}' must be 3 or 4 octal digits, such as \"0750\"", *text));
  return *mode;
}

std::string owner_name(const YamlMap& map, std::string_view key) {
  // A number is an id as it is; a name must be one.
  const auto id_or_name = [](std::string_view text) { return is_decimal(text) ? Problem() : check_user_name(text); };
  return map.optional_string(key, id_or_name).value_or("root");
}

Owner owner_value(const YamlMap& map) {
  Owner owner;
  owner.user = owner_name(map, "owner");
  // A user's files default to the user's own group, as adduser sets it up.
  owner.group = map.has("group") ? owner_name(map, "group") : owner.user;
  return owner;
}

// A source that is either a local path or a URL, with its pinned digest.
void read_source(const YamlMap& map, const fs::path& dir, std::optional<std::string>& url,
                 std::optional<fs::path>& path) {
  url = map.optional_string("url", check_input_url);
  if (auto text = map.optional_string("path")) path = local_path(map, *text, dir);
  if (!url && !path) map.fail(map.node(), fmt::format("{} needs 'url' or 'path'", map.what()));
}

}  // namespace

BaseImage read_base(const YAML::Node& node, const std::string& file, const fs::path& dir) {
  YamlMap map(node, file, "base", {"url", "path", "sha256", "format", "source"});
  BaseImage base;
  read_source(map, dir, base.url, base.path);
  base.sha256 = sha256_value(map);
  base.format = map.optional_string("format").value_or("qcow2");
  base.provenance = map.optional_string("source").value_or("");
  if (base.format != "qcow2" && base.format != "raw")
    map.fail(map.get("format"), fmt::format("base format '{}' must be qcow2 or raw", base.format));
  base.where = map.at(node);
  return base;
}

UserSpec read_user(const YamlMap::Entry& entry, const std::string& file, const fs::path& dir) {
  const std::string& name = entry.name;
  hold(entry.where, name, check_user_name);
  YamlMap map(entry.value, file, "users." + name, {"uid", "gid", "gecos", "shell", "home", "groups", "ssh_keys"});
  UserSpec user;
  user.name = name;
  if (!map.has("uid")) throw Error(entry.where, fmt::format("missing required key 'uid' in users.{}", name));
  user.uid = *map.optional_uint("uid", 65533);
  user.gid = map.optional_uint("gid", 65533);
  // gecos, shell and home are fields of /etc/passwd; shell and home also paths in the image.
  const auto passwd_field = [](const char* key) {
    return [key](std::string_view text) { return check_passwd_field(text, key); };
  };
  user.gecos = map.optional_string("gecos", passwd_field("gecos")).value_or("");
  const auto passwd_path = [&](const char* key) {
    std::string path = image_path(map, map.get(key), key);
    hold(map.at_key(key), path, passwd_field(key));
    return path;
  };
  if (map.has("shell")) user.shell = passwd_path("shell");
  if (map.has("home")) user.home = passwd_path("home");
  user.groups = map.string_list("groups", check_user_name);
  for (const auto& key_file : map.string_list("ssh_keys")) user.ssh_key_files.push_back(local_path(map, key_file, dir));
  user.where = entry.where;
  return user;
}

DirectorySpec read_directory(const YamlMap::Entry& entry, const std::string& file) {
  DirectorySpec dir;
  dir.path = entry.name;
  dir.where = entry.where;
  hold(dir.where, dir.path, check_image_path);
  if (!entry.value.IsNull()) {  // "/path:" alone means root-owned 0755
    YamlMap map(entry.value, file, "directories." + dir.path, {"owner", "group", "mode"});
    dir.owner = owner_value(map);
    dir.mode = mode_value(map, 0755);
  }
  return dir;
}

BinarySpec read_binary(const YamlMap::Entry& entry, const std::string& file, const fs::path& dir) {
  const std::string& name = entry.name;
  YamlMap map(entry.value, file, "binaries." + name,
              {"url", "path", "sha256", "unpinned", "member", "destination", "mode", "owner", "group"});
  BinarySpec binary;
  binary.name = name;
  read_source(map, dir, binary.url, binary.path);
  // A release whose digest could not be verified says so in words; bake refuses it.
  if (map.has("unpinned") && map.has("sha256")) map.fail_key("unpinned", "give either sha256 or unpinned, not both");
  if (map.has("unpinned")) {
    binary.unpinned_reason = map.string("unpinned");
    if (binary.unpinned_reason.empty()) map.fail_key("unpinned", "unpinned needs the reason no digest is pinned");
  } else {
    binary.sha256 = sha256_value(map);
  }
  binary.member = map.optional_string("member", check_archive_member);
  binary.destination = image_path(map, map.require("destination"), "destination");
  binary.mode = mode_value(map, 0755);
  binary.owner = owner_value(map);
  binary.where = entry.where;
  return binary;
}

OverlaySpec read_overlay(const YAML::Node& node, const std::string& file, const fs::path& dir) {
  YamlMap map(node, file, "an overlay", {"source", "destination", "owner", "group", "modes"});
  OverlaySpec overlay;
  overlay.source = local_path(map, map.string("source"), dir);
  if (map.has("destination")) overlay.destination = image_path(map, map.get("destination"), "destination");
  overlay.owner = owner_value(map);
  for (const auto& [path, value, where] : map.entries("modes")) {
    hold(where, path, check_image_path);
    const std::string text = map.scalar(value, "a mode");
    const auto mode = parse_mode(text);
    if (!mode) map.fail(value, fmt::format("mode '{}' must be 3 or 4 octal digits, such as \"0600\"", text));
    overlay.modes[path] = *mode;
  }
  overlay.where = map.at(node);
  return overlay;
}

CometbftSpec read_cometbft(const YAML::Node& node, const std::string& file) {
  YamlMap map(node, file, "cometbft", {"home", "owner", "moniker", "proxy_app", "timeout_commit"});
  CometbftSpec spec;
  spec.home = image_path(map, map.require("home"), "home");
  spec.owner = map.string("owner", check_user_name);
  if (auto moniker = map.optional_string("moniker", check_moniker)) spec.moniker = *moniker;
  if (auto app = map.optional_string("proxy_app", check_proxy_app)) spec.proxy_app = *app;
  const auto duration = [](std::string_view text) { return check_duration(text, "timeout_commit"); };
  if (auto timeout = map.optional_string("timeout_commit", duration)) spec.timeout_commit = *timeout;
  spec.where = map.at(node);
  return spec;
}

namespace {

AcmeSpec read_acme(const YAML::Node& node, const std::string& file) {
  YamlMap map(node, file, "registry.acme",
              {"email", "directory", "root", "challenge", "dns_provider", "second_directory"});
  AcmeSpec acme;
  acme.email = map.string("email", check_acme_email);
  const auto directory = [](std::string_view text) -> std::string {
    if (text == "letsencrypt") return AcmeSpec::lets_encrypt;
    if (text == "letsencrypt-staging") return AcmeSpec::lets_encrypt_staging;
    return std::string(text);
  };
  if (auto text = map.optional_string("directory")) {
    acme.directory = directory(*text);
    hold(map.at_key("directory"), acme.directory, check_acme_directory);
  }
  if (auto text = map.optional_string("second_directory")) {
    acme.second_directory = directory(*text);
    hold(map.at_key("second_directory"), *acme.second_directory, check_acme_directory);
    if (*acme.second_directory == acme.directory)
      map.fail(map.get("second_directory"), "second_directory names the same ACME server as directory");
  }
  if (auto text = map.optional_string("root")) acme.root_file = local_path(map, *text, fs::path(file).parent_path());
  const std::string challenge = map.optional_string("challenge").value_or("tls-alpn-01");
  if (challenge == "tls-alpn-01") {
    acme.challenge = AcmeSpec::Challenge::tls_alpn;
  } else if (challenge == "http-01") {
    acme.challenge = AcmeSpec::Challenge::http;
  } else if (challenge == "dns-01") {
    acme.challenge = AcmeSpec::Challenge::dns;
    // Written into the Caddyfile as Caddy's `dns` option: a module name and plain arguments
    // (placeholders such as {env.TOKEN} keep the secret out of the image).
    static const std::regex provider(R"([a-z0-9_]+( ([A-Za-z0-9_.:/@=-]+|\{env\.[A-Za-z0-9_]+\}))*)");
    if (!map.has("dns_provider"))
      map.fail(map.get("challenge"),
               "challenge dns-01 needs dns_provider, the DNS module of your Caddy build and its arguments, such as "
               "\"cloudflare {env.CF_API_TOKEN}\"");
    acme.dns_provider = map.string("dns_provider");
    if (!std::regex_match(acme.dns_provider, provider))
      map.fail(map.get("dns_provider"),
               fmt::format("dns_provider '{}' must be a module name and plain arguments or {{env.NAME}} placeholders",
                           printable(acme.dns_provider)));
  } else {
    map.fail(map.get("challenge"),
             fmt::format("challenge '{}' must be tls-alpn-01 (port 443), http-01 (port 80) or dns-01", challenge));
  }
  if (acme.challenge != AcmeSpec::Challenge::dns && map.has("dns_provider"))
    map.fail(map.get("dns_provider"), "dns_provider is used only with challenge: dns-01");
  return acme;
}

}  // namespace

RegistrySpec read_registry(const YAML::Node& node, const std::string& file) {
  YamlMap map(node, file, "registry",
              {"config", "caddyfile", "storage", "listen", "debug_listen", "htpasswd", "owner", "https_port", "names",
               "tls", "acme", "certificate", "key", "caddy_data"});
  RegistrySpec spec;
  for (auto [key, field] : {std::pair{"config", &spec.config},
                            {"caddyfile", &spec.caddyfile},
                            {"storage", &spec.storage},
                            {"htpasswd", &spec.htpasswd},
                            {"certificate", &spec.certificate},
                            {"key", &spec.key},
                            {"caddy_data", &spec.caddy_data}})
    if (map.has(key)) *field = image_path(map, map.get(key), key);
  // The registry speaks plain HTTP: only Caddy, on the same machine, may reach it.
  for (auto [key, field] : {std::pair{"listen", &spec.listen}, {"debug_listen", &spec.debug_listen}}) {
    const char* what = key;  // a structured binding cannot be captured (C++17, clang 14)
    const auto loopback = [what](std::string_view text) { return check_loopback_listen(text, what); };
    if (auto text = map.optional_string(key, loopback)) *field = *text;
  }
  if (auto owner = map.optional_string("owner", check_user_name)) spec.owner = *owner;
  const auto port = [](std::string_view text) { return check_port(text, "https_port"); };
  if (auto text = map.optional_string("https_port", port)) spec.https_port = *parse_port(*text);

  const std::string tls = map.optional_string("tls").value_or("local-ca");
  if (tls == "acme") {
    spec.tls = RegistrySpec::Tls::acme;
    if (!map.has("acme"))
      map.fail(map.get("tls"), "tls: acme needs an acme section with at least email, the contact address for the CA");
    spec.acme = read_acme(map.get("acme"), file);
  } else if (tls == "local-ca") {
    if (map.has("acme")) map.fail(map.get("acme"), "the acme section is used only with tls: acme");
  } else {
    map.fail(map.get("tls"),
             fmt::format("tls '{}' must be local-ca (certificates from the TrustNet CA) or acme (an ACME CA such "
                         "as Let's Encrypt)",
                         tls));
  }
  const bool acme = spec.tls == RegistrySpec::Tls::acme;
  const auto registry_name = [acme](std::string_view name) -> Problem {
    if (acme) {
      // check_public_name checks the domain first and names it in its message.
      if (auto problem = check_public_name(name)) return fmt::format("registry name {} (tls: acme)", *problem);
    } else if (auto problem = check_domain(name)) {
      return fmt::format("registry name '{}': {}", name, *problem);
    }
    return std::nullopt;
  };
  if (map.has("names")) {
    spec.names = map.string_list("names", registry_name);
    if (spec.names.empty()) map.fail(map.get("names"), "registry.names must name at least one host");
  } else if (acme) {
    for (const auto& name : spec.names)
      if (auto problem = registry_name(name))
        map.fail(map.get("tls"), *problem + "; name the registry's public names under registry.names");
  }
  spec.where = map.at(node);
  return spec;
}

ServiceSpec read_service(const YamlMap::Entry& entry, const std::string& file) {
  const std::string& name = entry.name;
  hold(entry.where, name, check_service_name);
  const YAML::Node& node = entry.value;
  YamlMap map(node, file, "services." + name,
              {"description", "command", "args", "user", "need", "after", "output_log", "error_log", "directory",
               "environment", "requires", "runlevel"});
  ServiceSpec service;
  service.name = name;
  service.description = map.optional_string("description", check_service_description).value_or(name);
  service.command = image_path(map, map.require("command"), "command");
  service.args = map.string_list("args", check_service_argument);
  service.user = map.optional_string("user", check_user_name);
  service.need = map.string_list("need", check_service_name);
  service.after = map.string_list("after", check_service_name);
  if (map.has("output_log")) service.output_log = image_path(map, map.get("output_log"), "output_log");
  if (map.has("error_log")) service.error_log = image_path(map, map.get("error_log"), "error_log");
  if (map.has("directory")) service.directory = image_path(map, map.get("directory"), "directory");
  for (const auto& [key, value, unused] : map.entries("environment")) {
    hold(map.at_key("environment"), key, check_environment_name);
    service.environment[key] = map.scalar(value, "an environment value", check_service_argument);
  }
  if (YAML::Node required = map.get("requires")) {
    if (!required.IsSequence()) map.fail(required, fmt::format("services.{}.requires must be a list", name));
    for (const auto& item : required) service.requires_files.push_back(image_path(map, item, "an item of requires"));
  }
  service.runlevel = map.optional_string("runlevel", check_runlevel).value_or("default");
  service.where = entry.where;
  return service;
}

NetworkLayer read_network(const YAML::Node& node, const std::string& file) {
  YamlMap map(node, file, "network", {"interface", "address", "prefix", "gateway", "ipv4_fallback"});
  NetworkLayer network;
  network.where = map.at(node);
  network.interface = map.optional_string("interface", check_interface_name);
  network.address = map.optional_string("address", check_ipv6_ula);
  if (auto prefix_text = map.optional_string("prefix")) {
    const Parsed<int> prefix = parse_ipv6_prefix(*prefix_text);
    if (prefix.problem) map.fail(map.get("prefix"), *prefix.problem);
    network.prefix = prefix.value;
  }
  network.gateway = map.optional_string("gateway", check_ipv6_ula);
  network.ipv4_fallback = map.optional_string("ipv4_fallback", check_interface_name);
  return network;
}

NetworkSpec finish_network(const NetworkLayer& layer) {
  NetworkSpec network;
  network.where = layer.where;
  if (!layer.address) throw Error(layer.where, "missing required key 'address' in network");
  network.address = *layer.address;
  network.interface = layer.interface.value_or("eth0");
  network.prefix = layer.prefix.value_or(64);
  network.gateway = layer.gateway;
  network.ipv4_fallback_interface = layer.ipv4_fallback;
  if (network.ipv4_fallback_interface == network.interface)
    throw Error(layer.where, "the IPv4 fallback needs an interface of its own");
  return network;
}

SshPolicy read_ssh(const YAML::Node& node, const std::string& file) {
  YamlMap map(node, file, "ssh", {"permit_root_login", "password_authentication", "allow_users"});
  SshPolicy ssh;
  ssh.permit_root_login = map.optional_bool("permit_root_login").value_or(false);
  ssh.password_authentication = map.optional_bool("password_authentication").value_or(false);
  ssh.allow_users = map.string_list("allow_users", check_user_name);
  return ssh;
}

}  // namespace trustnet::baker
