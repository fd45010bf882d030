#pragma once
// `launch stop all|NAME`: ACPI power-down, then SIGTERM, then SIGKILL.
#include "common/cli/command_line.hpp"
#include "launcher/run/config_choice.hpp"

namespace trustnet::launcher {

CommandRun declare_stop(CLI::App& command, ConfigChoice& config);

}  // namespace trustnet::launcher
