#pragma once
// `launch run NAME`: one instance in the foreground, supervised by the host's init system
// (trustnet@.service, supervise-daemon): READY once up, a watchdog fed while it answers, exit 1
// when it crashed, panicked or hung so that it is started again (run/instance_supervisor.hpp).
#include "common/cli/command_line.hpp"
#include "launcher/run/config_choice.hpp"

namespace trustnet::launcher {

CommandRun declare_run(CLI::App& command, ConfigChoice& config);

}  // namespace trustnet::launcher
