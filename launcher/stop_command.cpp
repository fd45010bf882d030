#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "launcher/run/launch_instances.hpp"
#include "launcher/run/preflight.hpp"
#include "launcher/run/stop_instances.hpp"
#include "launcher/stop_command.hpp"

namespace trustnet::launcher {
using namespace std::chrono;
namespace {

int run_stop(const LaunchConfig& config, const std::string& which, int timeout, bool json) {
  const auto stopped = stop_instances(machine_host(), config, select_instances(config, which), seconds(timeout));
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : stopped) {
    if (json)
      out.push_back({{"name", s.name}, {"outcome", describe(s.outcome)}, {"seconds", s.outcome.seconds}});
    else
      fmt::print("{}: {}\n", s.name, describe(s.outcome));
  }
  if (json) fmt::print("{}\n", out.dump(2));
  return 0;
}

}  // namespace

CommandRun declare_stop(CLI::App& command, ConfigChoice& config) {
  struct State {
    std::string which;
    int timeout = 120;
    bool json = false;
  };
  auto state = std::make_shared<State>();
  command.add_option("instances", state->which, "all, or an instance name")->required();
  command.add_option("--timeout", state->timeout, "seconds to wait for the guest to power off before SIGTERM")
      ->check(CLI::Range(0, 3600))
      ->capture_default_str();
  command.add_flag("--json", state->json, "print the outcome as JSON");
  config.add_to(command);
  return [state, &config] { return run_stop(config.load(StateUse::read), state->which, state->timeout, state->json); };
}

}  // namespace trustnet::launcher
