#pragma once
// `launch network up|down|status`: the bridge and taps; down is refused while an instance runs.
#include "common/cli/command_line.hpp"
#include "launcher/run/config_choice.hpp"

namespace trustnet::launcher {

CommandRun declare_network(CLI::App& command, ConfigChoice& config);

}  // namespace trustnet::launcher
