#pragma once
// `launch ssh NAME [-- CMD]`: ssh as the operator, host key checked against init's known_hosts.
#include "common/cli/command_line.hpp"
#include "launcher/run/config_choice.hpp"

namespace trustnet::launcher {

CommandRun declare_ssh(CLI::App& command, ConfigChoice& config);

}  // namespace trustnet::launcher
