#pragma once
// `launch logs NAME [-f]`: the serial console, followed while the instance runs.
#include "common/cli/command_line.hpp"
#include "launcher/run/config_choice.hpp"

namespace trustnet::launcher {

CommandRun declare_logs(CLI::App& command, ConfigChoice& config);

}  // namespace trustnet::launcher
