#pragma once
// `launch all|NAME`, the default command: start instances and wait until they answer.
#include "common/cli/command_line.hpp"
#include "launcher/run/config_choice.hpp"

namespace trustnet::launcher {

CommandRun declare_start(CLI::App& command, ConfigChoice& config);

}  // namespace trustnet::launcher
