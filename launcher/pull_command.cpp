#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/util/interrupt.hpp"
#include "launcher/pull/pull_instances.hpp"
#include "launcher/pull_command.hpp"

namespace trustnet::launcher {
namespace {

int run_pull(const LaunchConfig& config, const std::string& which, bool quiet, bool as_json, bool allow_downgrade) {
  interrupt::install();
  const std::vector<InstanceConfig> instances = select_instances(config, which);
  bool any_remote = false;
  for (const auto& instance : instances) any_remote = any_remote || instance.remote.has_value();
  if (!any_remote)
    throw Error(fmt::format("no instance of {} has a remote image (image: oci://… or https://…/NAME/)",
                            which == "all" ? config.file.string() : which),
                ExitCode::bad_input);
  TransferDisplay display(quiet ? Verbosity::quiet : Verbosity::normal, TransferDisplay::stderr_is_terminal());
  const std::vector<InstancePull> pulls = pull_instances(config, instances, false, display, allow_downgrade);
  nlohmann::json out = nlohmann::json::array();
  for (const InstancePull& pull : pulls) {
    const PullRecord& r = pull.record;
    if (as_json) {
      nlohmann::json entry = pull_record_json(r);
      entry["name"] = pull.name;
      entry["bytes_downloaded"] = pull.bytes_downloaded;
      entry["updated"] = pull.updated();
      entry["previous_digest"] = pull.previous ? nlohmann::json(pull.previous->digest) : nullptr;
      out.push_back(entry);
      continue;
    }
    fmt::print("{}: {} {}, built {}, verified with {}\n", pull.name, r.source, r.digest, r.build_time, r.signing_key);
    if (pull.updated())
      fmt::print(
          "{}: update: {} moved from {} to {}; the instance keeps its disk on the old release until you run "
          "`launch init` and restart it\n",
          pull.name, r.source, pull.previous->digest, r.digest);
  }
  if (as_json) fmt::print("{}\n", out.dump(2));
  return 0;
}

}  // namespace

CommandRun declare_pull(CLI::App& command, ConfigChoice& config) {
  struct State {
    std::string which = "all";
    bool quiet = false, json = false, allow_downgrade = false;
  };
  auto state = std::make_shared<State>();
  command.add_option("instances", state->which, "all, or an instance name")->capture_default_str();
  command.add_flag("-q,--quiet", state->quiet, "no progress on stderr");
  command.add_flag("--json", state->json, "print what was pulled as JSON");
  command.add_flag("--allow-downgrade", state->allow_downgrade,
                   "take a release built before the one an instance has (a rollback)");
  config.add_to(command);
  return [state, &config] {
    return run_pull(config.load(StateUse::create, ConfigChoice::read_pull_login), state->which, state->quiet,
                    state->json, state->allow_downgrade);
  };
}

}  // namespace trustnet::launcher
