#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/util/interrupt.hpp"
#include "launcher/export/libvirt_export.hpp"
#include "launcher/run/commands.hpp"
#include "launcher/run/launch_instances.hpp"
#include "launcher/run/preflight.hpp"

namespace trustnet::launcher {
namespace fs = std::filesystem;
namespace {

int run_export(const LaunchConfig& config, const std::string& which, const fs::path& out, const std::string& type,
               bool json) {
  DomainSettings settings;
  settings.type = type == "qemu" ? DomainType::qemu : DomainType::kvm;
  interrupt::install();
  const auto exported = export_libvirt(config, select_instances(config, which), out, settings);
  if (json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& domain : exported)
      list.push_back({{"name", domain.name},
                      {"domain", "trustnet-" + domain.name},
                      {"file", domain.file.string()},
                      {"prepared", domain.prepared},
                      {"disk_io", domain.disk_io}});
    fmt::print("{}\n", list.dump(2));
    return 0;
  }
  for (const auto& domain : exported) {
    std::string prepared;
    for (const auto& step : domain.prepared) prepared += "; " + step;
    fmt::print("{}: domain trustnet-{} in {}{}; disk {}\n", domain.name, domain.name, domain.file.string(), prepared,
               domain.disk_io);
  }
  fmt::print(
      "on the libvirt host: virsh define FILE, then virsh start trustnet-NAME (bridge {} with {}/{} must exist "
      "there)\n",
      config.bridge_name, config.bridge_address, config.bridge_prefix);
  return 0;
}

}  // namespace

CommandRun declare_export(CLI::App& command, ConfigChoice& config) {
  struct State {
    std::string format, which = "all", type = "kvm";
    fs::path out = "libvirt";
    bool json = false;
  };
  auto state = std::make_shared<State>();
  command.add_option("format", state->format, "libvirt")->required()->check(CLI::IsMember({"libvirt"}));
  command.add_option("instances", state->which, "all, or an instance name")->capture_default_str();
  command.add_option("--out", state->out, "folder that gets NAME.xml per instance")->capture_default_str();
  command.add_option("--domain-type", state->type, "kvm (an aarch64 host with KVM) or qemu (emulation)")
      ->check(CLI::IsMember({"kvm", "qemu"}))
      ->capture_default_str();
  command.add_flag("--json", state->json, "print the outcome as JSON");
  config.add_to(command);
  return [state, &config] {
    return run_export(config.load(StateUse::read), state->which, state->out, state->type, state->json);
  };
}

}  // namespace trustnet::launcher
