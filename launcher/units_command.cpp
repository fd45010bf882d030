#include "launcher/units_command.hpp"

#include <fmt/format.h>

#include "common/util/process.hpp"

namespace trustnet::launcher {

std::vector<std::string> instance_units(const LaunchConfig& config) {
  std::vector<std::string> units;
  // Instance names are letters, digits and '-' (the configuration's rule): a unit's instance as it is.
  for (const auto& instance : config.instances)
    units.push_back(fmt::format("trustnet@{}.service", instance.identity.name));
  return units;
}

std::vector<std::string> start_units_command(const LaunchConfig& config) {
  std::vector<std::string> argv{"systemctl", "start", "--no-block"};
  for (auto& unit : instance_units(config)) argv.push_back(std::move(unit));
  return argv;
}

CommandRun declare_units(CLI::App& command, ConfigChoice& config) {
  struct State {
    bool start = false, dry_run = false;
  };
  auto state = std::make_shared<State>();
  command.add_flag("--start", state->start, "start them with systemctl, without waiting (what trustnet.service runs)");
  command.add_flag("--dry-run", state->dry_run, "with --start: print the systemctl command instead");
  config.add_to(command);
  return [state, &config] {
    const LaunchConfig loaded = config.load_unchecked();
    if (!state->start) {
      for (const auto& unit : instance_units(loaded)) fmt::print("{}\n", unit);
      return 0;
    }
    if (loaded.instances.empty()) {
      fmt::print(stderr, "launch: the configuration has no instances; nothing to start\n");
      return 0;
    }
    if (state->dry_run) {
      fmt::print("{}\n", command_line(start_units_command(loaded)));
      return 0;
    }
    exec_program(start_units_command(loaded));
  };
}

}  // namespace trustnet::launcher
