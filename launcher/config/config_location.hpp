#pragma once
// Which configuration `launch` runs with: --config, then $TRUSTNET_CONFIG, then a checkout's
// launcher/trustnet.yaml (below where launch runs; never for root), then the installed host
// configuration.
#include <filesystem>

#include "common/cli/install_paths.hpp"
#include "common/cli/search_places.hpp"

namespace trustnet::launcher {

// `option` empty: not given; `environment` null or empty: unset; `as_root`: the effective user is
// root, who never reads a configuration from the current folder.
FoundPlace locate_launch_config(const std::filesystem::path& option, const char* environment, bool as_root,
                                const std::filesystem::path& installed = install_paths::launch_config());

// The state folder when the configuration names none: root's is the system's
// (/var/lib/trustnet), anyone else's is $XDG_STATE_HOME/trustnet (default ~/.local/state/trustnet).
std::filesystem::path default_state_dir(unsigned euid, const char* xdg_state_home, const char* home,
                                        const std::filesystem::path& system_state = install_paths::system_state());

}  // namespace trustnet::launcher
