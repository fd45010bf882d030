#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "launcher/health/health_probe.hpp"
#include "launcher/pull/pull_instances.hpp"
#include "launcher/run/launch_instances.hpp"
#include "launcher/run/preflight.hpp"
#include "launcher/status_command.hpp"

namespace trustnet::launcher {
namespace {

// Which release each instance runs: what `launch pull` verified for a remote image, else the
// local image init recorded.
nlohmann::json release_json(const LaunchConfig& config, const InstanceConfig& instance) {
  if (const auto pulled = read_pull_record(config.state_dir, instance.identity.name)) return pull_record_json(*pulled);
  if (instance.remote) return {{"source", location_text(*instance.remote)}, {"digest", nullptr}};
  return {{"source", instance.image.string()}, {"digest", nullptr}};
}

int run_status(const LaunchConfig& config, const std::string& which, bool json) {
  const auto instances = select_instances(config, which);
  const auto rows = instance_status(machine_host(), config, instances);
  if (std::any_of(rows.begin(), rows.end(), [](const HealthRow& row) { return row.pid != 0; }))
    if (const auto refused = ping_refused()) fmt::print(stderr, "launch: {}\n", *refused);
  if (!json) {
    fmt::print("{}", render_status_table(rows));
    return 0;
  }
  nlohmann::json out = status_json(rows);
  for (size_t i = 0; i < instances.size(); ++i) out[i]["release"] = release_json(config, instances[i]);
  fmt::print("{}\n", out.dump(2));
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
  return [state, &config] { return run_status(config.load(StateUse::read), state->which, state->json); };
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
