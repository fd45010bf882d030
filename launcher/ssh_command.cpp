#include "launcher/ssh_command.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/util/error.hpp"
#include "common/util/process.hpp"
#include "launcher/run/preflight.hpp"

namespace trustnet::launcher {
namespace fs = std::filesystem;
namespace {

int run_ssh(const LaunchConfig& config, const std::string& name, bool ipv4, const std::string& identity, bool dry_run,
            const std::vector<std::string>& extra) {
  const auto instance = select_instances(config, name).at(0);
  const fs::path known_hosts = config.state_dir / "network" / "known_hosts";
  if (!fs::exists(known_hosts))
    throw Error(fmt::format("{} is missing; run `launch init` first", known_hosts.string()), ExitCode::bad_input);
  std::vector<std::string> argv{"ssh", "-o", "UserKnownHostsFile=" + known_hosts.string(), "-o",
                                "StrictHostKeyChecking=yes"};
  if (!identity.empty()) argv.insert(argv.end(), {"-i", identity, "-o", "IdentitiesOnly=yes"});
  if (ipv4) {
    auto forward = std::find_if(instance.forwards.begin(), instance.forwards.end(),
                                [](const PortForward& f) { return f.guest == 22; });
    if (forward == instance.forwards.end())
      throw Error(fmt::format("{} forwards no host port to its SSH port 22", name), ExitCode::bad_input);
    argv.insert(argv.end(), {"-o", "HostKeyAlias=" + instance.identity.address, "-p", std::to_string(forward->host),
                             instance.user + "@127.0.0.1"});
  } else {
    argv.push_back(instance.user + "@" + instance.identity.address);
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  if (dry_run) {
    fmt::print("{}\n", command_line(argv));
    return 0;
  }
  exec_program(std::move(argv), "; install openssh-client");
}

}  // namespace

CommandRun declare_ssh(CLI::App& command, ConfigChoice& config) {
  struct State {
    std::string name, identity;
    bool ipv4 = false, dry_run = false;
    std::vector<std::string> args;
  };
  auto state = std::make_shared<State>();
  command.add_option("name", state->name, "instance name")->required();
  command.add_flag("--ipv4", state->ipv4, "go through the forwarded port on 127.0.0.1 instead of the ULA address");
  command.add_option("-i,--identity", state->identity,
                     "the operator's private key file (default: ssh's own choice, or the agent)");
  command.add_flag("--dry-run", state->dry_run, "print the ssh command instead of running it");
  command.add_option("command", state->args, "command to run remotely (after --)");
  config.add_to(command);
  return [state, &config] {
    return run_ssh(config.load(StateUse::inspect), state->name, state->ipv4, state->identity, state->dry_run,
                   state->args);
  };
}

}  // namespace trustnet::launcher
