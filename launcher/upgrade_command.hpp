#pragma once
// `launch upgrade all|NAME`: each instance onto the image its configuration names, one at a time,
// health-gated, rolled back when it does not come up; the state disks stay.
#include "common/cli/command_line.hpp"
#include "launcher/run/config_choice.hpp"

namespace trustnet::launcher {

CommandRun declare_upgrade(CLI::App& command, ConfigChoice& config);

}  // namespace trustnet::launcher
