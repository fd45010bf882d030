#pragma once
// `launch pull [all|NAME]`: download and verify the releases of instances with remote images.
#include "common/cli/command_line.hpp"
#include "launcher/run/config_choice.hpp"

namespace trustnet::launcher {

CommandRun declare_pull(CLI::App& command, ConfigChoice& config);

}  // namespace trustnet::launcher
