#pragma once
// `launch network up|down|status`: the bridge and taps of the configuration. Taking the network
// down while an instance runs on it is refused.
#include <string>
#include <vector>

#include "launcher/config/launch_config.hpp"

namespace trustnet::launcher {

// Prints what changed (or the state) as text or JSON; the exit status of status is 3 when
// something is missing.
int run_network(const LaunchConfig& config, const std::string& action, const std::string& owner, bool json);

}  // namespace trustnet::launcher
