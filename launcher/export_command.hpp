#pragma once
// `launch export libvirt [all|NAME]`: libvirt domains of the instances.
#include "common/cli/command_line.hpp"
#include "launcher/run/config_choice.hpp"

namespace trustnet::launcher {

CommandRun declare_export(CLI::App& command, ConfigChoice& config);

}  // namespace trustnet::launcher
