#pragma once
// A plan: the ordered edits that turn the base image into the golden image. Pure data, made
// from a recipe without touching any image; printed by `bake plan`, run by the executor.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "baker/recipe/recipe.hpp"
#include "common/util/overloaded.hpp"

namespace trustnet::baker {

// Checks, before any edit, that the base has every program the appliance's own scripts run
// (trustnet-state's mkfs.ext4, firstboot's ssh-keygen…) on the PATH those scripts have.
struct RequirePrograms {
  std::vector<std::string> names;
  std::vector<std::string> path = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"};
};
// Removes what must be unique per machine (SSH host keys); paths are globs in the image.
struct RemoveFiles {
  std::string pattern;
  std::string why;
};
// Empties a file if the base has it (/etc/machine-id), so each instance makes its own.
struct EmptyFile {
  std::string path;
};
struct UpdateAccounts {
  std::vector<UserSpec> users;
  std::vector<std::string> remove;  // base accounts deleted first, with their homes under /home
};
// Keeps the base's cloud-init from running: its runlevel links go, /etc/cloud/cloud-init.disabled
// is written (cloud-init's own switch, for whatever else would start it).
struct DisableCloudInit {
  std::vector<std::string> link_patterns = {"/etc/runlevels/*/cloud-init*", "/etc/runlevels/*/cloud-config",
                                            "/etc/runlevels/*/cloud-final"};
  std::string marker = "/etc/cloud/cloud-init.disabled";
};
struct MakeDirectory {
  std::string path;
  uint32_t mode = 0755;
  Owner owner;
};
struct WriteFile {
  std::string path;
  std::string content;
  uint32_t mode = 0644;
  Owner owner;
};
// Uploads a local file whose digest was pinned by the recipe.
struct InstallFile {
  std::string path;
  std::filesystem::path source;  // empty until a URL input is resolved from the cache
  std::optional<std::string> url;
  std::string sha256;
  std::string unpinned_reason;
  std::optional<std::string> member;  // install this file of the release archive
  uint32_t mode = 0755;
  Owner owner;
  std::string input;  // the binary's name in the recipe
};
struct MakeSymlink {
  std::string link;
  std::string target;
};
// Puts the drop-in folder's Include first in sshd_config.
struct IncludeSshdDropins {};
// Streams an overlay folder into the image as one tar archive.
struct UnpackOverlay {
  std::filesystem::path source;
  std::string destination;
  Owner owner;
  std::map<std::string, uint32_t> modes;  // named modes; everything else 0644/0755
};

using Step = std::variant<RequirePrograms, RemoveFiles, EmptyFile, DisableCloudInit, UpdateAccounts, MakeDirectory,
                          WriteFile, InstallFile, MakeSymlink, IncludeSshdDropins, UnpackOverlay>;

struct Plan {
  std::string name;
  std::string hostname;
  std::string recipe_digest;
  BaseImage base;
  uint64_t disk_size = 0;
  std::vector<Step> steps;
};

Plan make_plan(const Recipe& recipe);

std::string describe(const Step& step);     // one human line
std::string format_plan(const Plan& plan);  // `bake plan` output
std::string plan_to_json(const Plan& plan);

}  // namespace trustnet::baker
