#include "baker/recipe/recipe_sections.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <regex>
#include <set>

#include "common/util/validators.hpp"

namespace trustnet::baker {
namespace fs = std::filesystem;

fs::path local_path(const YamlMap& map, const std::string& text, const fs::path& relative_to) {
  if (text.empty()) map.fail(map.node(), "a local path must not be empty");
  fs::path path(text);
  return (path.is_absolute() ? path : relative_to / path).lexically_normal();
}

namespace {

std::string image_path(const YamlMap& map, const YAML::Node& node, const std::string& what) {
  std::string path = map.scalar(node, what);
  if (auto problem = check_image_path(path)) map.fail(node, *problem);
  return path;
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
  auto text = map.optional_string(key);
  if (!text) return "root";
  if (!is_decimal(*text))
    if (auto problem = check_user_name(*text)) map.fail(map.get(key), *problem);
  return *text;
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
  url = map.optional_string("url");
  if (auto text = map.optional_string("path")) path = local_path(map, *text, dir);
  if (!url && !path) map.fail(map.node(), fmt::format("{} needs 'url' or 'path'", map.what()));
  if (url && !url->starts_with("https://") && !url->starts_with("http://") && !url->starts_with("file:///"))
    map.fail(map.get("url"), fmt::format("url '{}' must start with https://, http:// or file:///", *url));
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
  if (auto problem = check_user_name(name)) throw Error(entry.where, *problem);
  YamlMap map(entry.value, file, "users." + name, {"uid", "gid", "gecos", "shell", "home", "groups", "ssh_keys"});
  UserSpec user;
  user.name = name;
  if (!map.has("uid")) throw Error(entry.where, fmt::format("missing required key 'uid' in users.{}", name));
  user.uid = *map.optional_uint("uid", 65533);
  user.gid = map.optional_uint("gid", 65533);
  user.gecos = map.optional_string("gecos").value_or("");
  if (auto problem = check_passwd_field(user.gecos, "gecos")) map.fail(map.get("gecos"), *problem);
  if (auto shell = map.optional_string("shell")) user.shell = image_path(map, map.get("shell"), "shell");
  if (map.has("home")) user.home = image_path(map, map.get("home"), "home");
  for (const auto& [key, value] : {std::pair{"shell", user.shell}, std::pair{"home", user.home_dir()}})
    if (auto problem = check_passwd_field(value, key)) map.fail(map.get(key), *problem);
  user.groups = map.string_list("groups");
  for (const auto& group : user.groups)
    if (auto problem = check_user_name(group)) map.fail(map.get("groups"), *problem);
  for (const auto& key_file : map.string_list("ssh_keys")) user.ssh_key_files.push_back(local_path(map, key_file, dir));
  user.where = entry.where;
  return user;
}

DirectorySpec read_directory(const YamlMap::Entry& entry, const std::string& file) {
  DirectorySpec dir;
  dir.path = entry.name;
  dir.where = entry.where;
  if (auto problem = check_image_path(dir.path)) throw Error(dir.where, *problem);
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
  if (auto member = map.optional_string("member")) {
    if (auto problem = check_image_path("/" + *member); problem || member->empty() || member->front() == '/')
      map.fail_key("member", fmt::format("archive member '{}' must be a relative path inside the archive", *member));
    binary.member = member;
  }
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
    if (auto problem = check_image_path(path)) throw Error(where, *problem);
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
  spec.owner = map.string("owner");
  if (auto problem = check_user_name(spec.owner)) map.fail(map.get("owner"), *problem);
  if (auto moniker = map.optional_string("moniker")) {
    if (moniker->empty() || moniker->size() > 64 ||
        moniker->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._- ") !=
            std::string::npos)
      map.fail(map.get("moniker"),
               fmt::format("moniker '{}' must be 1 to 64 letters, digits, spaces, '.', '_' or '-'", *moniker));
    spec.moniker = *moniker;
  }
  if (auto app = map.optional_string("proxy_app")) {
    static const std::set<std::string> built_in = {"kvstore", "persistent_kvstore", "noop"};
    if (!built_in.count(*app) && !app->starts_with("tcp://") && !app->starts_with("unix://"))
      map.fail(map.get("proxy_app"),
               fmt::format("proxy_app '{}' must be kvstore, persistent_kvstore, noop, or a tcp:// or unix:// address",
                           *app));
    spec.proxy_app = *app;
  }
  if (auto timeout = map.optional_string("timeout_commit")) {
    static const std::regex duration("[1-9][0-9]*(ms|s)");
    if (!std::regex_match(*timeout, duration))
      map.fail(map.get("timeout_commit"),
               fmt::format("timeout_commit '{}' must be a duration such as 500ms or 1s", *timeout));
    spec.timeout_commit = *timeout;
  }
  spec.where = map.at(node);
  return spec;
}

RegistrySpec read_registry(const YAML::Node& node, const std::string& file) {
  YamlMap map(node, file, "registry",
              {"config", "caddyfile", "storage", "listen", "debug_listen", "htpasswd", "owner", "https_port", "names",
               "tls", "acme_email", "certificate", "key", "caddy_data"});
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
  static const std::regex loopback(R"((127\.0\.0\.1|\[::1\]):([1-9][0-9]{0,4}))");
  for (auto [key, field] : {std::pair{"listen", &spec.listen}, {"debug_listen", &spec.debug_listen}})
    if (auto text = map.optional_string(key)) {
      if (!std::regex_match(*text, loopback))
        map.fail(map.get(key),
                 fmt::format("{} '{}' must be a loopback address and port, such as 127.0.0.1:5000", key, *text));
      *field = *text;
    }
  if (auto owner = map.optional_string("owner")) {
    if (auto problem = check_user_name(*owner)) map.fail(map.get("owner"), *problem);
    spec.owner = *owner;
  }
  if (auto port = map.optional_string("https_port")) {
    const auto value = parse_port(*port);
    if (!value)
      map.fail(map.get("https_port"), fmt::format("https_port '{}' must be a port number from 1 to 65535", *port));
    spec.https_port = *value;
  }
  if (map.has("names")) {
    spec.names = map.string_list("names");
    if (spec.names.empty()) map.fail(map.get("names"), "registry.names must name at least one host");
    for (const auto& name : spec.names)
      if (auto problem = check_domain(name))
        map.fail(map.get("names"), fmt::format("registry name '{}': {}", name, *problem));
  }
  const std::string tls = map.optional_string("tls").value_or("local-ca");
  if (tls == "acme") {
    spec.tls = RegistrySpec::Tls::acme;
    spec.acme_email = map.optional_string("acme_email").value_or("");
    static const std::regex email(R"([^@\s"'{}]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})");
    if (!std::regex_match(spec.acme_email, email))
      map.fail(map.has("acme_email") ? map.get("acme_email") : map.get("tls"),
               "tls: acme needs acme_email, the contact address for Let's Encrypt");
    for (const auto& name : spec.names)
      if (name.size() >= 6 && name.compare(name.size() - 6, 6, ".local") == 0)
        map.fail(map.get("tls"),
                 fmt::format("Let's Encrypt cannot certify '{}', a .local name: use tls: local-ca", name));
  } else if (tls != "local-ca") {
    map.fail(map.get("tls"),
             fmt::format("tls '{}' must be local-ca (certificates from the TrustNet CA) or acme (Let's Encrypt)", tls));
  }
  spec.where = map.at(node);
  return spec;
}

ServiceSpec read_service(const YamlMap::Entry& entry, const std::string& file) {
  const std::string& name = entry.name;
  if (auto problem = check_service_name(name)) throw Error(entry.where, *problem);
  const YAML::Node& node = entry.value;
  YamlMap map(node, file, "services." + name,
              {"description", "command", "args", "user", "need", "after", "output_log", "error_log", "directory",
               "environment", "requires", "runlevel"});
  ServiceSpec service;
  service.name = name;
  service.description = map.optional_string("description").value_or(name);
  if (service.description.find_first_of("\"\\$`\n") != std::string::npos)
    map.fail(map.get("description"), "description must not contain quotes, '\\', '$', '`' or newlines");
  service.command = image_path(map, map.require("command"), "command");
  service.args = map.string_list("args");
  for (const auto& arg : service.args)
    if (auto problem = check_service_argument(arg)) map.fail(map.get("args"), *problem);
  if (auto user = map.optional_string("user")) {
    if (auto problem = check_user_name(*user)) map.fail(map.get("user"), *problem);
    service.user = user;
  }
  service.need = map.string_list("need");
  service.after = map.string_list("after");
  for (const auto* list : {&service.need, &service.after})
    for (const auto& dep : *list)
      if (auto problem = check_service_name(dep)) map.fail(node, *problem);
  if (map.has("output_log")) service.output_log = image_path(map, map.get("output_log"), "output_log");
  if (map.has("error_log")) service.error_log = image_path(map, map.get("error_log"), "error_log");
  if (map.has("directory")) service.directory = image_path(map, map.get("directory"), "directory");
  for (const auto& [key, value, unused] : map.entries("environment")) {
    bool valid_name =
        !key.empty() && !std::isdigit(static_cast<unsigned char>(key[0])) &&
        key.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos;
    if (!valid_name)
      map.fail(map.get("environment"), fmt::format("'{}' is not a valid environment variable name", key));
    std::string text = map.scalar(value, "an environment value");
    if (auto problem = check_service_argument(text)) map.fail(value, *problem);
    service.environment[key] = text;
  }
  if (YAML::Node required = map.get("requires")) {
    if (!required.IsSequence()) map.fail(required, fmt::format("services.{}.requires must be a list", name));
    for (const auto& item : required) service.requires_files.push_back(image_path(map, item, "an item of requires"));
  }
  service.runlevel = map.optional_string("runlevel").value_or("default");
  static const std::set<std::string> runlevels = {"sysinit", "boot", "default", "nonetwork", "shutdown"};
  if (!runlevels.count(service.runlevel))
    map.fail(map.get("runlevel"),
             fmt::format("runlevel '{}' must be one of sysinit, boot, default, nonetwork, shutdown", service.runlevel));
  service.where = entry.where;
  return service;
}

NetworkLayer read_network(const YAML::Node& node, const std::string& file) {
  YamlMap map(node, file, "network", {"interface", "address", "prefix", "gateway", "ipv4_fallback"});
  NetworkLayer network;
  network.where = map.at(node);
  network.interface = map.optional_string("interface");
  network.address = map.optional_string("address");
  if (network.address)
    if (auto problem = check_ipv6_ula(*network.address)) map.fail(map.get("address"), *problem);
  if (auto prefix_text = map.optional_string("prefix")) {
    const Parsed<int> prefix = parse_ipv6_prefix(*prefix_text);
    if (prefix.problem) map.fail(map.get("prefix"), *prefix.problem);
    network.prefix = prefix.value;
  }
  network.gateway = map.optional_string("gateway");
  if (network.gateway)
    if (auto problem = check_ipv6_ula(*network.gateway)) map.fail(map.get("gateway"), *problem);
  network.ipv4_fallback = map.optional_string("ipv4_fallback");
  for (const char* key : {"interface", "ipv4_fallback"})
    if (auto name = map.optional_string(key))
      if (auto problem = check_interface_name(*name)) map.fail(map.get(key), *problem);
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
  ssh.allow_users = map.string_list("allow_users");
  for (const auto& user : ssh.allow_users)
    if (auto problem = check_user_name(user)) map.fail(map.get("allow_users"), *problem);
  return ssh;
}

}  // namespace trustnet::baker
