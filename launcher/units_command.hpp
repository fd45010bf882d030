#pragma once
// `launch units [--start]`: the systemd unit of each instance of the configuration
// (trustnet@NAME.service), one per line; with --start, systemctl starts them without waiting.
// trustnet.service runs `launch units --start`: the configuration says which instances a host
// runs, and each runs in its own unit, kept running by systemd.
#include <string>
#include <vector>

#include "common/cli/command_line.hpp"
#include "launcher/config/launch_config.hpp"
#include "launcher/run/config_choice.hpp"

namespace trustnet::launcher {

std::vector<std::string> instance_units(const LaunchConfig& config);

// What --start runs: `systemctl start --no-block UNIT…` (the units wait for trustnet.service,
// which is starting them: waiting here would deadlock).
std::vector<std::string> start_units_command(const LaunchConfig& config);

CommandRun declare_units(CLI::App& command, ConfigChoice& config);

}  // namespace trustnet::launcher
