#include "launcher/network_command.hpp"
#include "launcher/run/preflight.hpp"

#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/util/error.hpp"
#include "common/util/text_values.hpp"
#include "launcher/instance/instance_runtime.hpp"
#include "launcher/network/host_network.hpp"
#include "launcher/run/run_user.hpp"

namespace trustnet::launcher {
namespace fs = std::filesystem;

namespace {

// Whom the taps belong to: --owner (a name or uid), else, for root, the account launch runs QEMU
// as (the configuration's user:), else us.
uid_t owner_uid(const std::string& owner, const LaunchConfig& config) {
  if (owner.empty()) return ::geteuid() == 0 ? find_account(config.run_user, config.file).uid : ::geteuid();
  if (is_decimal(owner)) {
    if (const auto uid = parse_bounded_uint(owner, 0, UINT32_MAX - 1)) return static_cast<uid_t>(*uid);
    throw Error(fmt::format("--owner: uid {} is out of range", owner), ExitCode::bad_input);
  }
  if (const passwd* user = ::getpwnam(owner.c_str())) return user->pw_uid;
  throw Error(fmt::format("--owner: no user named '{}'", owner), ExitCode::bad_input);
}

// Prints what changed (or the state) as text or JSON; the exit status of status is 3 when
// something is missing.
int run_network(const LaunchConfig& config, const std::string& action, const std::string& owner, bool json) {
  const NetworkLayout layout = network_layout(config);
  if (action == "status") {
    const NetworkState state = network_state(layout);
    if (json) {
      auto link = [](const LinkState& l) {
        return nlohmann::json{{"name", l.name},           {"exists", l.exists},           {"up", l.up},
                              {"on_bridge", l.on_bridge}, {"has_address", l.has_address}, {"owner", l.owner}};
      };
      nlohmann::json out = {{"bridge", link(state.bridge)},
                            {"address", fmt::format("{}/{}", layout.address, layout.prefix)},
                            {"complete", state.complete()},
                            {"taps", nlohmann::json::array()}};
      for (const auto& tap : state.taps) out["taps"].push_back(link(tap));
      out["redirects"] = nlohmann::json::array();
      for (const auto& r : layout.redirects)
        out["redirects"].push_back({{"from", r.from}, {"to", r.to}, {"instance", r.instance}});
      out["redirects_in_place"] =
          state.redirects_in_place ? nlohmann::json(*state.redirects_in_place) : nlohmann::json(nullptr);
      fmt::print("{}\n", out.dump(2));
    } else {
      fmt::print("bridge {}: {}\n", layout.bridge,
                 !state.bridge.exists ? "missing"
                                      : fmt::format("{}, {}/{} {}", state.bridge.up ? "up" : "down", layout.address,
                                                    layout.prefix, state.bridge.has_address ? "present" : "missing"));
      for (const auto& tap : state.taps)
        fmt::print("tap {}: {}\n", tap.name,
                   !tap.exists ? "missing"
                               : fmt::format("{}, {}, owner uid {}", tap.up ? "up" : "down",
                                             tap.on_bridge ? "on the bridge" : "not on the bridge", tap.owner));
      if (!layout.redirects.empty() || state.redirects_in_place == false)
        fmt::print("redirects (nftables table ip {}): {}\n", redirect_table(layout.bridge),
                   !state.redirects_in_place   ? "not readable without root"
                   : *state.redirects_in_place ? "in place"
                                               : "missing or different");
    }
    return state.complete() ? 0 : 3;
  }
  if (action == "down")
    for (const auto& instance : config.instances)
      if (auto runtime = inspect_runtime(InstancePaths::in(config.state_dir, instance.identity.name));
          runtime.state == RunState::running)
        throw Error(fmt::format("{} is running (pid {}) on the bridge; `launch stop all` first", instance.identity.name,
                                runtime.pid),
                    ExitCode::bad_input);
  const NetworkChanges changes = action == "up" ? network_up(layout, owner_uid(owner, config)) : network_down(layout);
  if (json) {
    fmt::print("{}\n", nlohmann::json{{"changes", changes}}.dump(2));
    return 0;
  }
  for (const auto& change : changes) fmt::print("{}\n", change);
  if (changes.empty()) fmt::print("network already {}; nothing changed\n", action == "up" ? "up" : "down");
  return 0;
}

}  // namespace

CommandRun declare_network(CLI::App& command, ConfigChoice& config) {
  struct State {
    std::string action, owner;
    bool json = false;
  };
  auto state = std::make_shared<State>();
  command.add_option("action", state->action, "up, down or status")
      ->required()
      ->check(CLI::IsMember({"up", "down", "status"}));
  command.add_option("--owner", state->owner,
                     "user (name or uid) who may open the taps, that is who runs QEMU (default: for root, the "
                     "configuration's user:, trustnet; else you)");
  command.add_flag("--json", state->json, "print the outcome as JSON");
  config.add_to(command);
  return [state, &config] { return run_network(config.load_unchecked(), state->action, state->owner, state->json); };
}

}  // namespace trustnet::launcher
