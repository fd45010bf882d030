#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "common/util/interrupt.hpp"
#include "launcher/run/accel_option.hpp"
#include "launcher/run/preflight.hpp"
#include "launcher/run/upgrade_instances.hpp"
#include "launcher/upgrade_command.hpp"

namespace trustnet::launcher {
using namespace std::chrono;
namespace {

struct UpgradeFlags {
  bool dry_run = false, json = false, quiet = false;
  std::string accel = "auto";
  int timeout = 600, stop_timeout = 120;
};

int run_upgrade(const LaunchConfig& config, const std::string& which, const UpgradeFlags& flags) {
  const auto instances = select_instances(config, which);
  UpgradeOptions options;
  options.launch.accel = forced_accel(flags.accel);
  options.launch.timeout = seconds(flags.timeout);
  options.launch.quiet = flags.quiet;
  options.power_down_timeout = seconds(flags.stop_timeout);
  // Every image is verified before any instance is touched.
  const auto choices = upgrade_choices(config, instances);
  if (flags.dry_run) {
    for (const auto& line : upgrade_plan(config, instances, choices, options)) fmt::print("{}\n", line);
    return 0;
  }
  interrupt::install();
  const auto outcomes = upgrade_instances(machine_host(), config, instances, choices, options);
  if (flags.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& outcome : outcomes) out.push_back({{"name", outcome.name}, {"outcome", outcome.text}});
    fmt::print("{}\n", out.dump(2));
  } else {
    for (const auto& outcome : outcomes) fmt::print("{}: {}\n", outcome.name, outcome.text);
  }
  return 0;
}

}  // namespace

CommandRun declare_upgrade(CLI::App& command, ConfigChoice& config) {
  struct State {
    std::string which;
    UpgradeFlags flags;
  };
  auto state = std::make_shared<State>();
  config.add_to(command);
  command.add_option("instances", state->which, "all, or the name of one instance to upgrade")->required();
  command.add_flag("--dry-run", state->flags.dry_run, "verify the images and print the steps; change nothing");
  add_accel_option(command, state->flags.accel);
  command
      .add_option("--timeout", state->flags.timeout,
                  "seconds each upgraded instance has to be up (and a node committing) before it is rolled back")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  command.add_option("--stop-timeout", state->flags.stop_timeout, "seconds to wait for a guest to power off")
      ->check(CLI::Range(0, 3600))
      ->capture_default_str();
  command.add_flag("--json", state->flags.json, "print the outcomes as JSON");
  command.add_flag("-q,--quiet", state->flags.quiet, "print errors and the outcomes only");
  return [state, &config] { return run_upgrade(config.load(StateUse::read), state->which, state->flags); };
}

}  // namespace trustnet::launcher
