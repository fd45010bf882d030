#pragma once
// One entry of the configuration's `instances:` read on its own: what can be said of an instance
// without its neighbours (launch_config.cpp checks them against each other and the bridge).
#include <filesystem>
#include <string>

#include "common/config/yaml_reader.hpp"
#include "launcher/config/launch_config.hpp"

namespace trustnet::launcher {

// `config_dir` resolves relative image, kernel and initrd paths; a remote image's file is in
// `state_dir` (release_link); `prefix` is the bridge's.
InstanceConfig read_instance(const YamlMap::Entry& entry, const std::string& file,
                             const std::filesystem::path& config_dir, int prefix,
                             const std::filesystem::path& state_dir);

}  // namespace trustnet::launcher
