#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "common/util/interrupt.hpp"
#include "launcher/pull/pull_instances.hpp"
#include "launcher/run/accel_option.hpp"
#include "launcher/run/launch_instances.hpp"
#include "launcher/run/preflight.hpp"
#include "launcher/start_command.hpp"

namespace trustnet::launcher {
using namespace std::chrono;
namespace {

struct StartFlags {
  bool dry_run = false, json = false, quiet = false;
  std::string accel = "auto", wait = "up";
  int timeout = 300;
};

int run_start(const LaunchConfig& config, const std::string& which, const StartFlags& flags) {
  const auto instances = select_instances(config, which);
  LaunchOptions options;
  options.accel = forced_accel(flags.accel);
  options.wait = flags.wait == "started"     ? WaitFor::started
                 : flags.wait == "reachable" ? WaitFor::reachable
                                             : WaitFor::up;
  options.timeout = seconds(flags.timeout);
  options.quiet = flags.quiet;
  if (flags.dry_run) {
    const LaunchPlan plan = launch_plan(machine_host(), config, instances, options);
    for (const auto& line : plan.lines) fmt::print("{}\n", line);
    // What the run would refuse, or find missing on this host, without changing anything.
    std::optional<std::string> stop = plan.stop;
    if (!stop) try {
        preflight_network(config, instances);
      } catch (const Error& e) {
        stop = e.what();
      }
    if (stop) {
      fmt::print(stderr, "launch: the run would stop here: {}\n", *stop);
      return 1;
    }
    return 0;
  }
  interrupt::install();
  TransferDisplay display(flags.quiet ? Verbosity::quiet : Verbosity::normal, TransferDisplay::stderr_is_terminal());
  for (const auto& pull : pull_instances(config, instances, /*only_missing=*/true, display))
    if (!flags.quiet)
      fmt::print(stderr, "launch {}: pulled {} {}\n", pull.name, pull.record.source, pull.record.digest);
  const auto rows = launch_instances(machine_host(), config, instances, options);
  fmt::print("{}", flags.json ? status_json(rows).dump(2) + "\n" : render_status_table(rows));
  return 0;
}

}  // namespace

CommandRun declare_start(CLI::App& command, ConfigChoice& config) {
  struct State {
    std::string which;
    StartFlags flags;
  };
  auto state = std::make_shared<State>();
  config.add_to(command);
  command.add_option("instances", state->which, "all, or the name of one instance to start");
  command.add_flag("--dry-run", state->flags.dry_run, "print the commands that would run, and run none");
  add_accel_option(command, state->flags.accel);
  command
      .add_option("--wait", state->flags.wait,
                  "wait until instances are up (SSH and service answer), reachable (ping or any service), or started")
      ->check(CLI::IsMember({"up", "reachable", "started"}))
      ->capture_default_str();
  command.add_option("--timeout", state->flags.timeout, "seconds to wait")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  command.add_flag("--json", state->flags.json, "print the final table as JSON");
  command.add_flag("-q,--quiet", state->flags.quiet, "print errors and the final table only");
  return [state, &config] {
    if (state->which.empty()) {
      fmt::print(stderr, "launch: name what to start (all or an instance) or a command; see launch --help\n");
      return 2;
    }
    return run_start(config.load(StateUse::create), state->which, state->flags);
  };
}

}  // namespace trustnet::launcher
