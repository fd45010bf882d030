#include "launcher/run/config_choice.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <cstdlib>

#include "common/util/error.hpp"
#include "common/util/private_folder.hpp"
#include "launcher/config/config_location.hpp"

namespace trustnet::launcher {
namespace fs = std::filesystem;

void ConfigChoice::add_to(CLI::App& command) {
  command.add_option("--config", file,
                     "launcher configuration (default: $TRUSTNET_CONFIG, else launcher/trustnet.yaml "
                     "in a checkout unless run as root, else " +
                         install_paths::launch_config().string() + ")");
  command.add_option("--state", state, "the state folder (default: the configuration's state:)");
  command.add_flag("-v,--verbose", verbose, "say which configuration and state folder are used, and as whom");
}

LaunchConfig ConfigChoice::load_unchecked() const {
  const FoundPlace found = locate_launch_config(file, std::getenv("TRUSTNET_CONFIG"), ::geteuid() == 0);
  // What it names (the run user, the state folder) root acts on: only root's or the caller's.
  if (auto problem = untrusted_file(found.path, "launcher configuration")) throw Error(*problem, ExitCode::bad_input);
  LaunchConfig config = load_launch_config(found.path);
  if (!state.empty()) {
    const fs::path chosen = fs::absolute(state).lexically_normal();
    if (config.pull.cache == config.state_dir / "cache") config.pull.cache = chosen / "cache";
    config.state_dir = chosen;
  }
  if (verbose)
    fmt::print(stderr, "launch: configuration {} (from {}), state folder {}{}\n", found.path.string(), found.source,
               config.state_dir.string(), state.empty() ? "" : " (from --state)");
  return config;
}

LaunchConfig ConfigChoice::load(StateUse use, const std::function<void(LaunchConfig&)>& as_caller) const {
  LaunchConfig config = load_unchecked();
  if (as_caller) as_caller(config);
  const uid_t owner = become_run_user(config, use);
  if (verbose) fmt::print(stderr, "launch: running as {} (uid {})\n", account_name(::geteuid()), ::geteuid());
  if (fs::exists(config.state_dir)) check_private_tree(config.state_dir, kSecretsPurpose, owner);
  return config;
}

void ConfigChoice::read_pull_login(LaunchConfig& config) {
  config.pull.login = load_registry_credentials(config.pull.credentials);
}

}  // namespace trustnet::launcher
