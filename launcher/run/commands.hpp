#pragma once
// `launch`'s subcommands, one file each (NAME_command.cpp): each declares its options on its
// CLI11 app, reads the configuration chosen by --config when it runs, and returns its work.
#include "common/cli/command_line.hpp"
#include "launcher/run/config_choice.hpp"

namespace trustnet::launcher {

// `launch all|NAME`, the default command: start instances and wait until they answer.
CommandRun declare_start(CLI::App& command, ConfigChoice& config);
// `launch init [--rotate]`: identities, seed disks and the golden images' digests.
CommandRun declare_init(CLI::App& command, ConfigChoice& config);
// `launch pull [all|NAME]`: download and verify the releases of instances with remote images.
CommandRun declare_pull(CLI::App& command, ConfigChoice& config);
// `launch upgrade all|NAME`: each instance onto the image its configuration names, one at a time,
// health-gated, rolled back when it does not come up; the state disks stay.
CommandRun declare_upgrade(CLI::App& command, ConfigChoice& config);
// `launch network up|down|status`: the bridge and taps; down is refused while an instance runs.
CommandRun declare_network(CLI::App& command, ConfigChoice& config);
// `launch stop all|NAME`: ACPI power-down, then SIGTERM, then SIGKILL.
CommandRun declare_stop(CLI::App& command, ConfigChoice& config);
// `launch status [all|NAME]`: state, pid, uptime and what answers.
CommandRun declare_status(CLI::App& command, ConfigChoice& config);
// `launch logs NAME [-f]`: the serial console, followed while the instance runs.
CommandRun declare_logs(CLI::App& command, ConfigChoice& config);
// `launch ssh NAME [-- CMD]`: ssh as the operator, host key checked against init's known_hosts.
CommandRun declare_ssh(CLI::App& command, ConfigChoice& config);
// `launch export libvirt [all|NAME]`: libvirt domains of the instances.
CommandRun declare_export(CLI::App& command, ConfigChoice& config);
// `launch __instances`: the configuration's instance names, for shell completion.
CommandRun declare_instance_names(CLI::App& command, ConfigChoice& config);

}  // namespace trustnet::launcher
