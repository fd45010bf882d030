#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/util/error.hpp"
#include "common/util/interrupt.hpp"
#include "launcher/export/libvirt_export.hpp"
#include "launcher/export_command.hpp"
#include "launcher/run/launch_instances.hpp"
#include "launcher/run/preflight.hpp"

namespace trustnet::launcher {
namespace fs = std::filesystem;
namespace {

int run_export(const ConfigChoice& choice, const std::string& which, const fs::path& out, const std::string& type,
               bool json) {
  DomainSettings settings;
  settings.type = type == "qemu" ? DomainType::qemu : DomainType::kvm;
  interrupt::install();
  // The run user prepares the disks and the definitions; the files land where the caller asked,
  // with the caller's rights (and, through sudo, the operator's ownership).
  ConfigChoice quiet = choice;  // -v speaks once, in the run user's part
  quiet.verbose = false;
  const LaunchConfig config = quiet.load_unchecked();
  // The state folder is the run user's alone: nothing of the caller's goes in it.
  const fs::path state = fs::weakly_canonical(fs::absolute(config.state_dir));
  const fs::path into = fs::weakly_canonical(fs::absolute(out));
  if (std::mismatch(state.begin(), state.end(), into.begin(), into.end()).first == state.end())
    throw Error(fmt::format("--out {} is inside the state folder {}, which is the run user's alone; choose a folder "
                            "outside it",
                            out.string(), config.state_dir.string()),
                ExitCode::bad_input);
  std::vector<ExportedDomain> exported =
      domains_from_json(choice.as_run_user(StateUse::read, [&](const LaunchConfig& c) {
        return domains_to_json(prepare_libvirt_domains(c, select_instances(c, which), settings));
      }));
  write_libvirt_domains(exported, out, sudo_caller());
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
  return [state, &config] { return run_export(config, state->which, state->out, state->type, state->json); };
}

}  // namespace trustnet::launcher
