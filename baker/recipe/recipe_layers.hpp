#pragma once
// A recipe as layers: each file (with its includes first, then the override files) gives a Layer,
// and later layers win: sections are replaced whole (network key by key), named entries by name,
// overlays accumulate.
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "baker/recipe/recipe.hpp"
#include "baker/recipe/recipe_sections.hpp"

namespace trustnet::baker {

// One file's contribution.
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
  std::vector<std::pair<std::string, SourceLocation>> programs;
  std::vector<std::pair<std::string, SourceLocation>> state;
};

// Merges `from` over `into`, as described above.
void merge(Layer& into, const Layer& from);

// Reads recipe files with their includes (relative to the including file; a cycle is an error),
// remembering every file read and its digest.
class LayerReader {
 public:
  std::vector<RecipeSource> sources;

  Layer read(const std::filesystem::path& file, std::vector<std::filesystem::path>& stack);
};

}  // namespace trustnet::baker
