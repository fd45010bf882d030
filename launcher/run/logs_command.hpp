#pragma once
// `launch logs NAME [-f]`: the instance's serial console, followed while it runs.
#include <string>
#include <vector>

#include "launcher/config/launch_config.hpp"

namespace trustnet::launcher {

int run_logs(const LaunchConfig& config, const std::string& name, bool follow);

}  // namespace trustnet::launcher
