#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "launcher/run/commands.hpp"
#include "launcher/run/launch_instances.hpp"
#include "launcher/run/preflight.hpp"

namespace trustnet::launcher {
namespace {

int run_status(const LaunchConfig& config, const std::string& which, bool json) {
  const auto rows = instance_status(config, select_instances(config, which));
  fmt::print("{}", json ? status_json(rows).dump(2) + "\n" : render_status_table(rows));
  return 0;
}

}  // namespace

CommandRun declare_status(CLI::App& command, ConfigChoice& config) {
  struct State {
    std::string which = "all";
    bool json = false;
  };
  auto state = std::make_shared<State>();
  command.add_option("instances", state->which, "all, or an instance name")->capture_default_str();
  command.add_flag("--json", state->json, "machine-readable output");
  config.add_to(command);
  return [state, &config] { return run_status(config.load(), state->which, state->json); };
}

CommandRun declare_instance_names(CLI::App& command, ConfigChoice& config) {
  command.group("");  // hidden: for shell completion (docs/completion/launch)
  config.add_to(command);
  return [&config] {
    for (const auto& instance : config.load_unchecked().instances) fmt::print("{}\n", instance.identity.name);
    return 0;
  };
}

}  // namespace trustnet::launcher
