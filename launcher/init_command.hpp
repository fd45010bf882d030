#pragma once
// `launch init [--rotate]`: identities, seed disks and the golden images' digests.
#include "common/cli/command_line.hpp"
#include "launcher/run/config_choice.hpp"

namespace trustnet::launcher {

CommandRun declare_init(CLI::App& command, ConfigChoice& config);

}  // namespace trustnet::launcher
