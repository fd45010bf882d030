#pragma once
// The readers of a recipe file's sections: each checks its own keys and values and reports any
// problem as an Error at the file, line and column (exit status 2). Cross-section checks are in
// recipe_checks; merging layers and includes in recipe_layers.
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <optional>
#include <string>

#include "baker/recipe/recipe.hpp"
#include "common/config/yaml_reader.hpp"

namespace trustnet::baker {

// The network section merges key by key, so the shared shape (interface, prefix, fallback) is
// written once and each appliance adds its address.
struct NetworkLayer {
  std::optional<std::string> interface, address, gateway, ipv4_fallback;
  std::optional<int> prefix;
  SourceLocation where;
};

// A path the recipe names on this machine, relative to the recipe file's folder.
std::filesystem::path local_path(const YamlMap& map, const std::string& text, const std::filesystem::path& relative_to);
BaseImage read_base(const YAML::Node& node, const std::string& file, const std::filesystem::path& dir);
UserSpec read_user(const YamlMap::Entry& entry, const std::string& file, const std::filesystem::path& dir);
DirectorySpec read_directory(const YamlMap::Entry& entry, const std::string& file);
BinarySpec read_binary(const YamlMap::Entry& entry, const std::string& file, const std::filesystem::path& dir);
OverlaySpec read_overlay(const YAML::Node& node, const std::string& file, const std::filesystem::path& dir);
CometbftSpec read_cometbft(const YAML::Node& node, const std::string& file);
RegistrySpec read_registry(const YAML::Node& node, const std::string& file);
ServiceSpec read_service(const YamlMap::Entry& entry, const std::string& file);
NetworkLayer read_network(const YAML::Node& node, const std::string& file);
// The merged network section with its defaults (eth0, /64).
NetworkSpec finish_network(const NetworkLayer& layer);
SshPolicy read_ssh(const YAML::Node& node, const std::string& file);

}  // namespace trustnet::baker
