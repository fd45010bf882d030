// launch: runs TrustNet's golden images on a host. `launch init` gives every instance of the
// configured network its identity and seed disk.
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <nlohmann/json.hpp>

#include "common/command_line.hpp"
#include "launcher/config/launch_config.hpp"
#include "launcher/identity/network_identity.hpp"

namespace fs = std::filesystem;
using namespace trustnet;
using namespace trustnet::launcher;

namespace {

std::string utc_now() {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
}

int run_init(const fs::path& config_file, bool rotate, bool json) {
  LaunchConfig config = load_launch_config(config_file);
  InitResult result = init_network(config.network(), config.state_dir, {rotate, utc_now()});
  if (json) {
    nlohmann::json out = {{"state", config.state_dir.string()}, {"ca_certificate", result.ca_certificate.string()},
                          {"created", result.created}, {"kept", result.kept}};
    for (const auto& seed : result.seeds) out["seeds"].push_back(seed.string());
    if (result.registry_password) out["registry_password"] = *result.registry_password;
    fmt::print("{}\n", out.dump(2));
    return 0;
  }
  for (const auto& name : result.created) fmt::print("{}: new identity, seed {}\n", name, (config.state_dir / name / "seed.iso").string());
  for (const auto& name : result.kept) fmt::print("{}: identity kept, seed {}\n", name, (config.state_dir / name / "seed.iso").string());
  fmt::print("TrustNet CA certificate (trust it in clients): {}\n", result.ca_certificate.string());
  if (result.registry_password)
    fmt::print("registry password of keeper, shown once (kept 0600 in {}): {}\n",
               (config.state_dir / "network" / "registry-password").string(), *result.registry_password);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"launch: run TrustNet golden images on this host.\n"
               "  launch init [--rotate]   give every configured instance its identity and seed disk",
               "launch"};
  app.set_version_flag("--version", std::string("launch ") + TRUSTNET_VERSION);
  app.require_subcommand(1);
  fs::path config_file = "launcher/trustnet.yaml";
  app.add_option("--config", config_file, "launcher configuration")->capture_default_str();

  CLI::App* init = app.add_subcommand("init", "create the identities (keys, genesis, CA, certificates, credentials) and seed disks; "
                                              "existing identities are kept");
  bool rotate = false, json = false;
  init->add_flag("--rotate", rotate, "make new identities for every instance, the CA and the registry password");
  init->add_flag("--json", json, "print the outcome as JSON");
  init->add_option("--config", config_file, "launcher configuration")->capture_default_str();

  return run_command_line(app, argc, argv, "launch", [&] { return run_init(config_file, rotate, json); });
}
