#pragma once
// `launch ssh NAME [-- CMD]`: ssh as the instance's operator, host key checked against the
// known_hosts of `launch init`; replaces this process (or prints the command with --dry-run).
#include <string>
#include <vector>

#include "launcher/config/launch_config.hpp"

namespace trustnet::launcher {

int run_ssh(const LaunchConfig& config, const std::string& name, bool ipv4, const std::string& identity, bool dry_run,
            const std::vector<std::string>& extra);

}  // namespace trustnet::launcher
