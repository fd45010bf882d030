#include "launcher/run/config_choice.hpp"

#include <fmt/format.h>

#include <cstdlib>

#include "common/util/private_folder.hpp"
#include "launcher/config/config_location.hpp"

namespace trustnet::launcher {
namespace fs = std::filesystem;

void ConfigChoice::add_to(CLI::App& command) {
  command.add_option("--config", file,
                     "launcher configuration (default: $TRUSTNET_CONFIG, else launcher/trustnet.yaml "
                     "in a checkout, else " +
                         install_paths::launch_config().string() + ")");
  command.add_flag("-v,--verbose", verbose, "say which configuration and state folder are used");
}

LaunchConfig ConfigChoice::load_unchecked() const {
  const FoundPlace found = locate_launch_config(file, std::getenv("TRUSTNET_CONFIG"));
  LaunchConfig config = load_launch_config(found.path);
  if (verbose)
    fmt::print(stderr, "launch: configuration {} (from {}), state folder {}\n", found.path.string(), found.source,
               config.state_dir.string());
  return config;
}

LaunchConfig ConfigChoice::load() const {
  LaunchConfig config = load_unchecked();
  if (fs::exists(config.state_dir)) check_private_tree(config.state_dir);
  return config;
}

}  // namespace trustnet::launcher
