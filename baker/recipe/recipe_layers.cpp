#include "baker/recipe/recipe_layers.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/config/rules.hpp"
#include "common/config/yaml_reader.hpp"
#include "common/util/sha256.hpp"
#include "common/util/text_file.hpp"

namespace trustnet::baker {
namespace fs = std::filesystem;

namespace {

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

std::pair<std::string, SourceLocation> located_scalar(const YamlMap& map, std::string_view key) {
  return {map.scalar(map.get(key), std::string(key)), map.at_key(key)};
}

std::pair<std::string, SourceLocation> located_scalar(const YamlMap& map, std::string_view key, const Rule& rule) {
  return {map.scalar(map.get(key), std::string(key), rule), map.at_key(key)};
}

std::vector<std::pair<std::string, SourceLocation>> includes(const YamlMap& map) {
  std::vector<std::pair<std::string, SourceLocation>> result;
  YAML::Node node = map.get("include");
  if (!node) return result;
  if (node.IsScalar()) return {{node.Scalar(), map.at(node)}};
  if (!node.IsSequence()) map.fail(node, "include must be a file name or a list of them");
  for (const auto& item : node) result.emplace_back(map.scalar(item, "an include"), map.at(item));
  return result;
}

Layer read_own(const YamlMap& map, const fs::path& dir) {
  const std::string& file = map.file();
  Layer layer;
  // A recipe's name is its image's and its host's: a hostname.
  const auto recipe_name = [](std::string_view name) -> Problem {
    if (auto problem = check_hostname(name)) return "recipe " + *problem;
    return std::nullopt;
  };
  if (map.has("name")) layer.name = located_scalar(map, "name", recipe_name);
  if (map.has("hostname")) layer.hostname = located_scalar(map, "hostname", check_hostname);
  if (map.has("domain")) layer.domain = located_scalar(map, "domain", check_domain);
  if (map.has("operator")) layer.operator_user = located_scalar(map, "operator", check_user_name);
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
          fmt::format("cloud_init '{}' must be disabled (the golden image must not let cloud-init run) or kept", text));
    layer.disable_cloud_init = {{text == "disabled", where}};
  }
  if (YAML::Node removed = map.get("remove_users")) {
    if (!removed.IsSequence()) map.fail(removed, "remove_users must be a list of user names");
    for (const auto& item : removed) {
      std::string name = map.scalar(item, "a user name", check_user_name);
      if (name == "root") map.fail(item, "root cannot be removed");
      layer.remove_users.emplace_back(name, map.at(item));
    }
  }
  if (YAML::Node programs = map.get("programs")) {
    if (!programs.IsSequence())
      map.fail(programs, "programs must be a list of the programs the appliance's own scripts run");
    for (const auto& item : programs)
      layer.programs.emplace_back(map.scalar(item, "a program", check_program_name), map.at(item));
  }
  if (YAML::Node state = map.get("state")) {
    if (!state.IsSequence())
      map.fail(state, "state must be a list of folders, each declared under directories, kept on the state disk");
    for (const auto& item : state) {
      std::string path = map.scalar(item, "a folder", check_state_folder);
      layer.state.emplace_back(path, map.at(item));
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

}  // namespace

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
  for (const auto& program : from.programs)
    if (std::none_of(into.programs.begin(), into.programs.end(),
                     [&](const auto& p) { return p.first == program.first; }))
      into.programs.push_back(program);
  for (const auto& folder : from.state)
    if (std::none_of(into.state.begin(), into.state.end(), [&](const auto& s) { return s.first == folder.first; }))
      into.state.push_back(folder);
  merge_named(into.users, from.users, [](const UserSpec& u) { return u.name; });
  merge_named(into.directories, from.directories, [](const DirectorySpec& d) { return d.path; });
  merge_named(into.binaries, from.binaries, [](const BinarySpec& b) { return b.name; });
  merge_named(into.services, from.services, [](const ServiceSpec& s) { return s.name; });
  into.overlays.insert(into.overlays.end(), from.overlays.begin(), from.overlays.end());
}

Layer LayerReader::read(const fs::path& file, std::vector<fs::path>& stack) {
  fs::path canonical = fs::weakly_canonical(file);
  if (std::find(stack.begin(), stack.end(), canonical) != stack.end())
    throw Error(SourceLocation{file.string(), 1, 1}, "include cycle: the file includes itself");
  stack.push_back(canonical);
  const std::string name = file.string();
  const fs::path dir = file.parent_path();
  // Read once: the digest the report and the freshness check keep is of the text parsed.
  const std::string text = read_text_file(file, kYamlFileLimit);
  YAML::Node root = parse_yaml_text(text, file);
  sources.push_back({file, sha256_hex(text)});
  YamlMap map(root, name, "the recipe",
              {"include",  "name",        "hostname",   "domain",       "base",     "disk_size", "operator",
               "users",    "directories", "binaries",   "overlays",     "services", "network",   "ssh",
               "cometbft", "registry",    "cloud_init", "remove_users", "programs", "state"});
  Layer layer;
  for (const auto& include : includes(map)) {
    fs::path included = local_path(map, include.first, dir);
    if (!fs::exists(included))
      throw Error(include.second, fmt::format("included file {} does not exist", included.string()));
    // A FIFO would never end and a device never stop: only regular files, of a recipe's size.
    if (!fs::is_regular_file(included))
      throw Error(include.second, fmt::format("included file {} is not a regular file", included.string()));
    if (fs::file_size(included) > kYamlFileLimit)
      throw Error(include.second,
                  fmt::format("included file {} is larger than {} MiB", included.string(), kYamlFileLimit >> 20));
    merge(layer, read(included, stack));
  }
  merge(layer, read_own(map, dir));
  stack.pop_back();
  return layer;
}

}  // namespace trustnet::baker
