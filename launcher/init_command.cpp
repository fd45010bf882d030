#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "common/config/appliance_contract.hpp"
#include "common/util/interrupt.hpp"
#include "launcher/identity/network_identity.hpp"
#include "launcher/init_command.hpp"
#include "launcher/instance/golden_image.hpp"
#include "launcher/pull/pull_instances.hpp"

namespace trustnet::launcher {
using namespace std::chrono;
namespace {

std::string utc_now() { return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", floor<seconds>(system_clock::now())); }

int run_init(const LaunchConfig& config, bool rotate, bool json) {
  interrupt::install();  // an interrupted init removes its temporaries and changes nothing
  // Remote images are pulled (and verified) first when this host has none yet.
  TransferDisplay display(json ? Verbosity::quiet : Verbosity::normal, TransferDisplay::stderr_is_terminal());
  for (const auto& pull : pull_instances(config, config.instances, /*only_missing=*/true, display))
    fmt::print(stderr, "{}: pulled {} {}\n", pull.name, pull.record.source, pull.record.digest);
  std::vector<RecordOutcome> golden;
  for (const auto& instance : config.instances)
    golden.push_back(record_golden_image(config.state_dir, instance, config.trusted_key));
  InitResult result = init_network(config.network(), config.state_dir, {rotate, utc_now()});
  if (json) {
    nlohmann::json out = {{"state", config.state_dir.string()},
                          {"ca_certificate", result.ca_certificate.string()},
                          {"created", result.created},
                          {"kept", result.kept}};
    for (const auto& seed : result.seeds) out["seeds"].push_back(seed.string());
    for (size_t i = 0; i < golden.size(); ++i)
      out["golden_images"][config.instances[i].identity.name] = {{"image", golden[i].record.image.string()},
                                                                 {"sha256", golden[i].record.sha256},
                                                                 {"changed", golden[i].changed}};
    if (result.registry_password) out["registry_password"] = *result.registry_password;
    fmt::print("{}\n", out.dump(2));
    return 0;
  }
  for (const auto& name : result.created)
    fmt::print("{}: new identity, seed {}\n", name, (config.state_dir / name / "seed.iso").string());
  for (const auto& name : result.kept)
    fmt::print("{}: identity kept, seed {}\n", name, (config.state_dir / name / "seed.iso").string());
  for (size_t i = 0; i < golden.size(); ++i)
    fmt::print("{}: golden image {} sha256 {}{}\n", config.instances[i].identity.name, golden[i].record.image.string(),
               golden[i].record.sha256, golden[i].changed ? " (changed since the last init)" : "");
  fmt::print("TrustNet CA certificate (trust it in clients): {}\n", result.ca_certificate.string());
  if (result.registry_password)
    fmt::print("registry password of {}, shown once (kept 0600 in {}): {}\n", appliance::registry::user,
               (config.state_dir / "network" / "registry-password").string(), *result.registry_password);
  return 0;
}

}  // namespace

CommandRun declare_init(CLI::App& command, ConfigChoice& config) {
  struct State {
    bool rotate = false, json = false;
  };
  auto state = std::make_shared<State>();
  command.add_flag("--rotate", state->rotate,
                   "make new identities for every instance, the CA and the registry password");
  command.add_flag("--json", state->json, "print the outcome as JSON");
  config.add_to(command);
  return [state, &config] {
    return run_init(config.load(StateUse::create, ConfigChoice::read_pull_login), state->rotate, state->json);
  };
}

}  // namespace trustnet::launcher
