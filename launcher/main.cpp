// launch: runs TrustNet's golden images on a host: identities, the ULA bridge, QEMU, health.
#include <sys/stat.h>
#include <CLI/CLI.hpp>

#include "common/cli/command_line.hpp"
#include "launcher/export_command.hpp"
#include "launcher/init_command.hpp"
#include "launcher/logs_command.hpp"
#include "launcher/network_command.hpp"
#include "launcher/pull_command.hpp"
#include "launcher/run_command.hpp"
#include "launcher/ssh_command.hpp"
#include "launcher/start_command.hpp"
#include "launcher/status_command.hpp"
#include "launcher/stop_command.hpp"
#include "launcher/units_command.hpp"
#include "launcher/upgrade_command.hpp"

using namespace trustnet;
using namespace trustnet::launcher;

int main(int argc, char** argv) {
  // What launch makes (instance disks, consoles, QEMU's files) is its user's alone, whoever
  // started it and with whatever umask; files meant for others get their mode explicitly.
  ::umask(077);
  CLI::App app{
      "launch: run TrustNet golden images on this host.\n"
      "  launch init                  identities, seed disks, golden image digests\n"
      "  launch pull [all|NAME]       download and verify remote releases (image: oci://… or https://…)\n"
      "  launch network up|down|status  the ULA bridge and one tap per instance (needs CAP_NET_ADMIN)\n"
      "  launch all | NAME            start instances and wait until they answer\n"
      "  launch upgrade all|NAME      onto a new release, one at a time, health-gated, rolled back if not up\n"
      "  launch run NAME              one instance in the foreground, for the host's init system\n"
      "  launch units [--start]       the systemd unit of each instance (trustnet@NAME.service)\n"
      "  launch stop all|NAME         power them off\n"
      "  launch status [all|NAME]     state, pid, uptime and what answers\n"
      "  launch logs NAME             the serial console\n"
      "  launch ssh NAME              log in as the operator\n"
      "  launch export libvirt [all|NAME]  libvirt domains of the instances\n"
      "  (launch COMMAND --help for each)",
      "launch"};
  app.set_version_flag("--version", std::string("launch ") + TRUSTNET_VERSION);
  // --config given before the subcommand counts for it too: one choice, shared by every row.
  ConfigChoice config;
  auto with_config = [&config](CommandRun (*declare)(CLI::App&, ConfigChoice&)) {
    return [&config, declare](CLI::App& command) { return declare(command, config); };
  };
  const Subcommand subcommands[] = {
      {"", "", with_config(declare_start)},
      {"init",
       "create the identities (keys, genesis, CA, certificates, credentials) and seed disks, and record each golden "
       "image's SHA-256; existing identities are kept",
       with_config(declare_init)},
      {"pull",
       "download the releases of instances whose image is remote (oci:// or https://) into the cache and verify them "
       "with trusted_key",
       with_config(declare_pull)},
      {"upgrade",
       "move instances to the image the configuration names, one at a time, health-gated, with rollback; state "
       "disks stay",
       with_config(declare_upgrade)},
      {"run",
       "run one instance in the foreground for systemd or supervise-daemon: ready once up, a watchdog fed while it "
       "answers, exit 1 when it crashed, panicked or hung",
       with_config(declare_run)},
      {"units",
       "print the systemd unit of each instance (trustnet@NAME.service); --start starts them (trustnet.service runs "
       "it)",
       with_config(declare_units)},
      {"network", "create, remove or show the bridge, its address and the instances' taps",
       with_config(declare_network)},
      {"stop", "power instances off: ACPI power-down, then SIGTERM, then SIGKILL; disks stay",
       with_config(declare_stop)},
      {"status", "show each instance's state, pid, uptime and what answers", with_config(declare_status)},
      {"logs", "print an instance's serial console log", with_config(declare_logs)},
      {"ssh", "log in to an instance as its operator, checking the host key made by init", with_config(declare_ssh)},
      {"export",
       "write instances as libvirt domains (XML) that use the disks and seed launch made, for hosts that run libvirt",
       with_config(declare_export)},
      {"__instances", "", with_config(declare_instance_names)},
  };
  return run_subcommands(app, subcommands, argc, argv, "launch");
}
