#include "baker/recipe/recipe_loader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <regex>
#include <set>

#include "common/sha256.hpp"
#include "common/text_file.hpp"
#include "common/text_lines.hpp"
#include "common/validators.hpp"
#include "common/yaml_reader.hpp"

namespace trustnet::baker {
namespace fs = std::filesystem;

namespace {

// The network section merges key by key, so the shared shape (interface, prefix, fallback) is
// written once and each appliance adds its address.
struct NetworkLayer {
  std::optional<std::string> interface, address, gateway, ipv4_fallback;
  std::optional<int> prefix;
  SourceLocation where;
};

// One file's contribution. Sections are replaced whole by later layers (network: key by key);
// named entries are replaced by name; overlays accumulate.
struct Layer {
  std::optional<std::pair<std::string, SourceLocation>> name, hostname, domain, operator_user;
  std::optional<std::pair<uint64_t, SourceLocation>> disk_size;
  std::optional<BaseImage> base;
  std::optional<NetworkLayer> network;
  std::optional<SshPolicy> ssh;
  std::optional<CometbftSpec> cometbft;
  std::optional<RegistrySpec> registry;
  std::vector<UserSpec> users;
  std::vector<DirectorySpec> directories;
  std::vector<BinarySpec> binaries;
  std::vector<OverlaySpec> overlays;
  std::vector<ServiceSpec> services;
  std::optional<std::pair<bool, SourceLocation>> disable_cloud_init;
  std::vector<std::pair<std::string, SourceLocation>> remove_users;
};

template <typename T, typename KeyOf>
void merge_named(std::vector<T>& into, const std::vector<T>& from, KeyOf key_of) {
  for (const auto& entry : from) {
    auto same = std::find_if(into.begin(), into.end(), [&](const T& e) { return key_of(e) == key_of(entry); });
    if (same != into.end())
      *same = entry;
    else
      into.push_back(entry);
  }
}

void merge(Layer& into, const Layer& from) {
  auto take = [](auto& a, const auto& b) {
    if (b) a = b;
  };
  take(into.name, from.name);
  take(into.hostname, from.hostname);
  take(into.domain, from.domain);
  take(into.operator_user, from.operator_user);
  take(into.disk_size, from.disk_size);
  take(into.base, from.base);
  take(into.cometbft, from.cometbft);
  take(into.registry, from.registry);
  if (from.network) {
    if (!into.network) into.network = NetworkLayer{};
    NetworkLayer& net = *into.network;
    take(net.interface, from.network->interface);
    take(net.address, from.network->address);
    take(net.gateway, from.network->gateway);
    take(net.ipv4_fallback, from.network->ipv4_fallback);
    take(net.prefix, from.network->prefix);
    net.where = from.network->where;
  }
  take(into.ssh, from.ssh);
  take(into.disable_cloud_init, from.disable_cloud_init);
  for (const auto& removed : from.remove_users)
    if (std::none_of(into.remove_users.begin(), into.remove_users.end(),
                     [&](const auto& r) { return r.first == removed.first; }))
      into.remove_users.push_back(removed);
  merge_named(into.users, from.users, [](const UserSpec& u) { return u.name; });
  merge_named(into.directories, from.directories, [](const DirectorySpec& d) { return d.path; });
  merge_named(into.binaries, from.binaries, [](const BinarySpec& b) { return b.name; });
  merge_named(into.services, from.services, [](const ServiceSpec& s) { return s.name; });
  into.overlays.insert(into.overlays.end(), from.overlays.begin(), from.overlays.end());
}

fs::path local_path(const YamlMap& map, const std::string& text, const fs::path& relative_to) {
  if (text.empty()) map.fail(map.node(), "a local path must not be empty");
  fs::path path(text);
  return (path.is_absolute() ? path : relative_to / path).lexically_normal();
}

std::string image_path(const YamlMap& map, const YAML::Node& node, const std::string& what) {
  std::string path = map.scalar(node, what);
  if (auto problem = check_image_path(path)) map.fail(node, *problem);
  return path;
}

std::string sha256_value(const YamlMap& map) {
  std::string digest = map.string("sha256");
  if (auto problem = check_sha256(digest)) map.fail(map.get("sha256"), *problem);
  std::transform(digest.begin(), digest.end(), digest.begin(),
                 [](char c) { return static_cast<char>(std::tolower(c)); });
  return digest;
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
  bool numeric = !text->empty() && text->find_first_not_of("0123456789") == std::string::npos;
  if (!numeric)
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
    int value = 0;
    if (port->find_first_not_of("0123456789") != std::string::npos || port->size() > 5 ||
        (value = std::stoi(*port)) < 1 || value > 65535)
      map.fail(map.get("https_port"), fmt::format("https_port '{}' must be a port number from 1 to 65535", *port));
    spec.https_port = value;
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
    if (prefix_text->empty() || prefix_text->size() > 3 ||
        prefix_text->find_first_not_of("0123456789") != std::string::npos)
      map.fail(map.get("prefix"), fmt::format("IPv6 prefix '{}' must be a number of bits such as 32", *prefix_text));
    network.prefix = std::stoi(*prefix_text);
    if (auto problem = check_ipv6_prefix(*network.prefix)) map.fail(map.get("prefix"), *problem);
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

std::pair<std::string, SourceLocation> located_scalar(const YamlMap& map, std::string_view key) {
  return {map.scalar(map.get(key), std::string(key)), map.at_key(key)};
}

class LayerReader {
 public:
  std::vector<RecipeSource> sources;

  Layer read(const fs::path& file, std::vector<fs::path>& stack) {
    fs::path canonical = fs::weakly_canonical(file);
    if (std::find(stack.begin(), stack.end(), canonical) != stack.end())
      throw Error(SourceLocation{file.string(), 1, 1}, "include cycle: the file includes itself");
    stack.push_back(canonical);
    const std::string name = file.string();
    const fs::path dir = file.parent_path();
    YAML::Node root = load_yaml_file(file);
    sources.push_back({file, sha256_file(file)});
    YamlMap map(
        root, name, "the recipe",
        {"include", "name", "hostname", "domain", "base", "disk_size", "operator", "users", "directories", "binaries",
         "overlays", "services", "network", "ssh", "cometbft", "registry", "cloud_init", "remove_users"});
    Layer layer;
    for (const auto& include : includes(map)) {
      fs::path included = local_path(map, include.first, dir);
      if (!fs::exists(included))
        throw Error(include.second, fmt::format("included file {} does not exist", included.string()));
      merge(layer, read(included, stack));
    }
    merge(layer, read_own(map, dir));
    stack.pop_back();
    return layer;
  }

 private:
  static std::vector<std::pair<std::string, SourceLocation>> includes(const YamlMap& map) {
    std::vector<std::pair<std::string, SourceLocation>> result;
    YAML::Node node = map.get("include");
    if (!node) return result;
    if (node.IsScalar()) return {{node.Scalar(), map.at(node)}};
    if (!node.IsSequence()) map.fail(node, "include must be a file name or a list of them");
    for (const auto& item : node) result.emplace_back(map.scalar(item, "an include"), map.at(item));
    return result;
  }

  static Layer read_own(const YamlMap& map, const fs::path& dir) {
    const std::string& file = map.file();
    Layer layer;
    if (map.has("name")) {
      layer.name = located_scalar(map, "name");
      if (auto problem = check_hostname(layer.name->first)) map.fail_key("name", "recipe " + *problem);
    }
    if (map.has("hostname")) {
      layer.hostname = located_scalar(map, "hostname");
      if (auto problem = check_hostname(layer.hostname->first)) map.fail_key("hostname", *problem);
    }
    if (map.has("domain")) {
      layer.domain = located_scalar(map, "domain");
      if (auto problem = check_domain(layer.domain->first)) map.fail_key("domain", *problem);
    }
    if (map.has("operator")) {
      layer.operator_user = located_scalar(map, "operator");
      if (auto problem = check_user_name(layer.operator_user->first)) map.fail_key("operator", *problem);
    }
    if (map.has("disk_size")) {
      auto [text, where] = located_scalar(map, "disk_size");
      auto size = parse_size(text);
      if (!size || *size < (64ULL << 20))
        map.fail_key(
            "disk_size",
            fmt::format("disk_size '{}' must be a size of at least 64M, such as 50G (suffixes K, M, G, T)", text));
      if (*size % 512 != 0)
        map.fail_key("disk_size", fmt::format("disk_size '{}' must be a multiple of 512 bytes", text));
      layer.disk_size = {{*size, where}};
    }
    if (map.has("base")) layer.base = read_base(map.get("base"), file, dir);
    if (map.has("network")) layer.network = read_network(map.get("network"), file);
    if (map.has("ssh")) layer.ssh = read_ssh(map.get("ssh"), file);
    if (map.has("cloud_init")) {
      auto [text, where] = located_scalar(map, "cloud_init");
      if (text != "disabled" && text != "kept")
        map.fail_key(
            "cloud_init",
            fmt::format("cloud_init '{}' must be disabled (the golden image must not let cloud-init run) or kept",
                        text));
      layer.disable_cloud_init = {{text == "disabled", where}};
    }
    if (YAML::Node removed = map.get("remove_users")) {
      if (!removed.IsSequence()) map.fail(removed, "remove_users must be a list of user names");
      for (const auto& item : removed) {
        std::string name = map.scalar(item, "a user name");
        if (auto problem = check_user_name(name)) map.fail(item, *problem);
        if (name == "root") map.fail(item, "root cannot be removed");
        layer.remove_users.emplace_back(name, map.at(item));
      }
    }
    if (map.has("cometbft")) layer.cometbft = read_cometbft(map.get("cometbft"), file);
    if (map.has("registry")) layer.registry = read_registry(map.get("registry"), file);
    for (const auto& entry : map.entries("users")) layer.users.push_back(read_user(entry, file, dir));
    for (const auto& entry : map.entries("directories")) layer.directories.push_back(read_directory(entry, file));
    for (const auto& entry : map.entries("binaries")) layer.binaries.push_back(read_binary(entry, file, dir));
    for (const auto& entry : map.entries("services")) layer.services.push_back(read_service(entry, file));
    if (YAML::Node overlays = map.get("overlays")) {
      if (!overlays.IsSequence()) map.fail(overlays, "overlays must be a list");
      for (const auto& item : overlays) layer.overlays.push_back(read_overlay(item, file, dir));
    }
    return layer;
  }
};

std::vector<std::string> read_ssh_keys(const fs::path& file, std::vector<RecipeSource>& sources) {
  if (!fs::is_regular_file(file))
    throw Error(SourceLocation{file.string(), 0, 0}, "SSH public key file does not exist");
  std::string text = read_text_file(file);
  sources.push_back({file, sha256_hex(text)});
  std::vector<std::string> keys;
  int line_no = 0;
  for (const std::string_view view : split_lines(text)) {
    ++line_no;
    std::string line(view);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    if (auto problem = check_ssh_public_key(line)) throw Error(SourceLocation{file.string(), line_no, 1}, *problem);
    keys.push_back(line);
  }
  if (keys.empty()) throw Error(SourceLocation{file.string(), 1, 1}, "the file holds no SSH public key");
  return keys;
}

template <typename T>
const T& required(const std::optional<T>& value, const fs::path& file, std::string_view key) {
  if (!value)
    throw Error(SourceLocation{file.string(), 1, 1},
                fmt::format("missing required key '{}' in the recipe (or its includes)", key));
  return *value;
}

Recipe finish(Layer layer, const fs::path& file, std::vector<RecipeSource> sources, const LoadOptions& options) {
  Recipe recipe;
  recipe.name = required(layer.name, file, "name").first;
  recipe.hostname = required(layer.hostname, file, "hostname").first;
  recipe.domain = layer.domain ? layer.domain->first : "trustnet.local";
  recipe.base = required(layer.base, file, "base");
  recipe.disk_size = required(layer.disk_size, file, "disk_size").first;
  auto [operator_name, operator_where] = required(layer.operator_user, file, "operator");
  recipe.operator_user = operator_name;
  recipe.network = finish_network(required(layer.network, file, "network"));
  recipe.ssh = layer.ssh.value_or(SshPolicy{});
  recipe.cometbft = layer.cometbft;
  if (recipe.cometbft && recipe.cometbft->moniker.empty()) recipe.cometbft->moniker = recipe.hostname;
  recipe.registry = layer.registry;
  if (recipe.registry) recipe.registry->addresses = {recipe.network.address};
  recipe.users = std::move(layer.users);
  recipe.directories = std::move(layer.directories);
  recipe.binaries = std::move(layer.binaries);
  recipe.overlays = std::move(layer.overlays);
  recipe.services = std::move(layer.services);
  recipe.disable_cloud_init = layer.disable_cloud_init ? layer.disable_cloud_init->first : false;
  for (const auto& [name, where] : layer.remove_users) {
    if (recipe.find_user(name))
      throw Error(where, fmt::format("remove_users names '{}', which the recipe defines under users", name));
    recipe.remove_users.push_back(name);
  }

  if (options.base_image) recipe.base.path = fs::absolute(*options.base_image);

  std::set<uint32_t> uids;
  for (const auto& user : recipe.users) {
    if (user.name == "root") throw Error(user.where, "root is managed by the base image; do not list it under users");
    if (user.uid < 100)
      throw Error(user.where,
                  fmt::format("uid {} of {} is reserved for system accounts; use 100 or more", user.uid, user.name));
    if (!uids.insert(user.uid).second) throw Error(user.where, fmt::format("uid {} is used by two users", user.uid));
  }
  auto* op = const_cast<UserSpec*>(recipe.find_user(recipe.operator_user));
  if (!op) throw Error(operator_where, fmt::format("operator '{}' is not defined under users", recipe.operator_user));
  for (const auto& key : options.extra_ssh_keys) op->ssh_key_files.push_back(fs::absolute(key));

  for (const auto& allowed : recipe.ssh.allow_users)
    if (!recipe.find_user(allowed))
      throw Error(operator_where, fmt::format("ssh.allow_users names '{}', which is not defined under users", allowed));
  if (recipe.ssh.allow_users.empty()) recipe.ssh.allow_users = {recipe.operator_user};

  for (const auto& service : recipe.services) {
    if (service.user && *service.user != "root" && !recipe.find_user(*service.user))
      throw Error(service.where, fmt::format("service {} runs as '{}', which is not defined under users", service.name,
                                             *service.user));
  }
  if (recipe.cometbft && recipe.cometbft->owner != "root" && !recipe.find_user(recipe.cometbft->owner))
    throw Error(recipe.cometbft->where,
                fmt::format("cometbft.owner '{}' is not defined under users", recipe.cometbft->owner));
  if (recipe.registry && !recipe.find_user(recipe.registry->owner))
    throw Error(recipe.registry->where,
                fmt::format("registry.owner '{}' is not defined under users", recipe.registry->owner));
  std::set<std::string> destinations;
  for (const auto& binary : recipe.binaries)
    if (!destinations.insert(binary.destination).second)
      throw Error(binary.where, fmt::format("two binaries are installed at {}", binary.destination));
  for (const auto& overlay : recipe.overlays)
    if (!fs::is_directory(overlay.source))
      throw Error(overlay.where, fmt::format("overlay folder {} does not exist", overlay.source.string()));
  for (const auto& binary : recipe.binaries)
    if (binary.path && !binary.url && !fs::is_regular_file(*binary.path))
      throw Error(binary.where, fmt::format("binary {}: file {} does not exist", binary.name, binary.path->string()));

  for (auto& user : recipe.users) {
    std::vector<std::string> keys;
    for (const auto& key_file : user.ssh_key_files)
      for (auto& key : read_ssh_keys(key_file, sources))
        if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(std::move(key));
    user.ssh_keys = std::move(keys);
  }
  if (recipe.find_user(recipe.operator_user)->ssh_keys.empty())
    throw Error(
        operator_where,
        fmt::format(
            "operator '{}' has no SSH public key: list a key file under users.{}.ssh_keys or pass --ssh-key FILE",
            recipe.operator_user, recipe.operator_user));
  recipe.sources = std::move(sources);
  return recipe;
}

}  // namespace

const UserSpec* Recipe::find_user(const std::string& user_name) const {
  for (const auto& user : users)
    if (user.name == user_name) return &user;
  return nullptr;
}

std::string Recipe::digest() const {
  Sha256 hash;
  for (const auto& source : sources)
    hash.update(fmt::format("{}  {}\n", source.sha256, source.file.filename().string()));
  return hash.hex_digest();
}

Recipe load_recipe(const fs::path& file, const LoadOptions& options) {
  if (!fs::is_regular_file(file))
    throw Error(fmt::format("recipe {} does not exist", file.string()), ExitCode::bad_input);
  LayerReader reader;
  std::vector<fs::path> stack;
  Layer layer = reader.read(file, stack);
  for (const auto& override_file : options.overrides) {
    if (!fs::is_regular_file(override_file))
      throw Error(fmt::format("override file {} does not exist", override_file.string()), ExitCode::bad_input);
    merge(layer, reader.read(override_file, stack));
  }
  return finish(std::move(layer), file, std::move(reader.sources), options);
}

std::vector<fs::path> list_recipes(const fs::path& folder) {
  if (!fs::is_directory(folder))
    throw Error(fmt::format("recipe folder {} does not exist", folder.string()), ExitCode::bad_input);
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder))
    if (entry.is_regular_file() && entry.path().extension() == ".yaml") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace trustnet::baker
