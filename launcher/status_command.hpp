#pragma once
// `launch status [all|NAME]`: state, pid, uptime and what answers.
#include "common/cli/command_line.hpp"
#include "launcher/run/config_choice.hpp"

namespace trustnet::launcher {

CommandRun declare_status(CLI::App& command, ConfigChoice& config);

// `launch __instances`: the configuration's instance names, for shell completion.
CommandRun declare_instance_names(CLI::App& command, ConfigChoice& config);

}  // namespace trustnet::launcher
