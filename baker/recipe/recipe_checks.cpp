#include "baker/recipe/recipe_checks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "common/config/rules.hpp"
#include "common/config/yaml_reader.hpp"
#include "common/util/sha256.hpp"
#include "common/util/text_file.hpp"
#include "common/util/text_lines.hpp"

namespace trustnet::baker {
namespace fs = std::filesystem;

namespace {

std::vector<std::string> read_ssh_keys(const fs::path& file, std::vector<RecipeSource>& sources) {
  if (!fs::exists(file)) throw Error(SourceLocation{file.string(), 0, 0}, "SSH public key file does not exist");
  if (!fs::is_regular_file(file))
    throw Error(SourceLocation{file.string(), 0, 0},
                "SSH public key file is not a regular file (a device or a folder is never read as keys)");
  std::string text = read_text_file(file);
  sources.push_back({file, sha256_hex(text)});
  std::vector<std::string> keys;
  int line_no = 0;
  for (const std::string_view view : split_lines(text)) {
    ++line_no;
    std::string line(view);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    hold(SourceLocation{file.string(), line_no, 1}, line, check_ssh_public_key);
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

// The state folders as their directories declare them; one inside another would be bound twice.
std::vector<DirectorySpec> state_folders(const std::vector<DirectorySpec>& directories,
                                         const std::vector<std::pair<std::string, SourceLocation>>& listed) {
  std::vector<DirectorySpec> folders;
  for (const auto& entry : listed) {
    // Named references, not a structured binding: clang 14 cannot capture a binding in a lambda.
    const std::string& path = entry.first;
    const SourceLocation& where = entry.second;
    auto declared =
        std::find_if(directories.begin(), directories.end(), [&](const DirectorySpec& d) { return d.path == path; });
    if (declared == directories.end())
      throw Error(where, fmt::format("state folder {} is not declared under directories (its owner and mode come "
                                     "from there)",
                                     path));
    for (const auto& [other, _] : listed)
      if (other != path && path.starts_with(other + "/"))
        throw Error(where,
                    fmt::format("state folder {} lies inside the state folder {}: list one of them", path, other));
    folders.push_back(*declared);
  }
  return folders;
}

// The merged layer's values with their defaults; the required keys must be there.
Recipe recipe_of(Layer layer, const fs::path& file) {
  Recipe recipe;
  recipe.name = required(layer.name, file, "name").first;
  recipe.hostname = required(layer.hostname, file, "hostname").first;
  recipe.domain = layer.domain ? layer.domain->first : "trustnet.local";
  recipe.base = required(layer.base, file, "base");
  recipe.disk_size = required(layer.disk_size, file, "disk_size").first;
  recipe.operator_user = required(layer.operator_user, file, "operator").first;
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
  for (const auto& [program, where] : layer.programs) recipe.programs.push_back(program);
  recipe.state = state_folders(recipe.directories, layer.state);
  // Nothing that reads or writes a state folder may start before it is mounted, nor when it is not.
  if (!recipe.state.empty())
    for (auto& service : recipe.services)
      if (std::find(service.need.begin(), service.need.end(), "trustnet-state") == service.need.end())
        service.need.push_back("trustnet-state");
  return recipe;
}

// Accounts: uids, the operator and the users that sections name must be defined.
void check_users(Recipe& recipe, const SourceLocation& operator_where, const LoadOptions& options) {
  std::set<uint32_t> uids;
  for (const auto& user : recipe.users) {
    if (user.name == "root") throw Error(user.where, "root is managed by the base image; do not list it under users");
    if (user.uid < 100)
      throw Error(user.where,
                  fmt::format("uid {} of {} is reserved for system accounts; use 100 or more", user.uid, user.name));
    if (!uids.insert(user.uid).second) throw Error(user.where, fmt::format("uid {} is used by two users", user.uid));
  }
  UserSpec* op = recipe.find_user(recipe.operator_user);
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
}

// Files on this machine that the bake will read, and where binaries go.
void check_files(const Recipe& recipe) {
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
}

// Each user's keys from its key files (each file becomes a source of the recipe's digest); the
// operator must have one.
void read_user_keys(Recipe& recipe, std::vector<RecipeSource>& sources, const SourceLocation& operator_where) {
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
}

// The ACME server's root certificate the recipe names: a PEM certificate, never a key, read now
// so the plan carries its text (and its digest is one of the recipe's sources).
void read_acme_root(Recipe& recipe, std::vector<RecipeSource>& sources) {
  if (!recipe.registry || recipe.registry->tls != RegistrySpec::Tls::acme) return;
  AcmeSpec& acme = recipe.registry->acme;
  if (acme.root_file.empty()) return;
  const SourceLocation where{acme.root_file.string(), 0, 0};
  if (!fs::is_regular_file(acme.root_file))
    throw Error(where, "the ACME server's root certificate (registry.acme.root) is not a regular file");
  constexpr size_t kLimit = 256 * 1024;
  std::string text = read_text_file(acme.root_file, kLimit);
  if (text.find("PRIVATE KEY") != std::string::npos)
    throw Error(where, "registry.acme.root holds a private key: name the CA's certificate, never its key");
  if (text.find("-----BEGIN CERTIFICATE-----") == std::string::npos)
    throw Error(where, "registry.acme.root holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
  sources.push_back({acme.root_file, sha256_hex(text)});
  acme.root_pem = std::move(text);
}

}  // namespace

Recipe finish_recipe(Layer layer, const fs::path& file, std::vector<RecipeSource> sources, const LoadOptions& options) {
  const std::optional<SourceLocation> operator_where =
      layer.operator_user ? std::optional(layer.operator_user->second) : std::nullopt;
  Recipe recipe = recipe_of(std::move(layer), file);
  if (options.base_image) recipe.base.path = fs::absolute(*options.base_image);
  check_users(recipe, *operator_where, options);
  check_files(recipe);
  read_user_keys(recipe, sources, *operator_where);
  read_acme_root(recipe, sources);
  recipe.sources = std::move(sources);
  return recipe;
}

}  // namespace trustnet::baker
