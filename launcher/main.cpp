// launch: runs TrustNet's golden images on a host: identities, the ULA bridge, QEMU, health.
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "common/appliance_contract.hpp"
#include "common/command_line.hpp"
#include "common/interrupt.hpp"
#include "common/private_folder.hpp"
#include "common/process.hpp"
#include "launcher/config/config_location.hpp"
#include "launcher/config/launch_config.hpp"
#include "launcher/export/libvirt_export.hpp"
#include "launcher/identity/network_identity.hpp"
#include "launcher/instance/golden_image.hpp"
#include "launcher/instance/instance_runtime.hpp"
#include "launcher/network/host_network.hpp"
#include "launcher/run/launch_instances.hpp"
#include "launcher/run/logs_command.hpp"
#include "launcher/run/network_command.hpp"
#include "launcher/run/preflight.hpp"
#include "launcher/run/ssh_command.hpp"
#include "launcher/run/stop_instances.hpp"

namespace fs = std::filesystem;
using namespace trustnet;
using namespace trustnet::launcher;
using namespace std::chrono;

namespace {

std::string utc_now() { return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", floor<seconds>(system_clock::now())); }

int run_init(const LaunchConfig& config, bool rotate, bool json) {
  interrupt::install();  // an interrupted init removes its temporaries and changes nothing
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

struct StartFlags {
  bool dry_run = false, json = false, quiet = false;
  std::string accel = "auto", wait = "up";
  int timeout = 300;
};

int run_start(const LaunchConfig& config, const std::string& which, const StartFlags& flags) {
  const auto instances = select_instances(config, which);
  LaunchOptions options;
  if (flags.accel != "auto")
    options.accel = flags.accel == "kvm" ? Accel::kvm : flags.accel == "hvf" ? Accel::hvf : Accel::tcg;
  options.wait = flags.wait == "started"     ? WaitFor::started
                 : flags.wait == "reachable" ? WaitFor::reachable
                                             : WaitFor::up;
  options.timeout = seconds(flags.timeout);
  options.quiet = flags.quiet;
  if (flags.dry_run) {
    for (const auto& line : launch_plan(config, instances, options)) fmt::print("{}\n", line);
    return 0;
  }
  interrupt::install();
  const auto rows = launch_instances(config, instances, options);
  fmt::print("{}", flags.json ? status_json(rows).dump(2) + "\n" : render_status_table(rows));
  return 0;
}

int run_stop(const LaunchConfig& config, const std::string& which, int timeout, bool json) {
  const auto stopped = stop_instances(config, select_instances(config, which), seconds(timeout));
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

int run_status(const LaunchConfig& config, const std::string& which, bool json) {
  const auto rows = instance_status(config, select_instances(config, which));
  fmt::print("{}", json ? status_json(rows).dump(2) + "\n" : render_status_table(rows));
  return 0;
}

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
                      {"prepared", domain.prepared}});
    fmt::print("{}\n", list.dump(2));
    return 0;
  }
  for (const auto& domain : exported) {
    std::string prepared;
    for (const auto& step : domain.prepared) prepared += "; " + step;
    fmt::print("{}: domain trustnet-{} in {}{}\n", domain.name, domain.name, domain.file.string(), prepared);
  }
  fmt::print(
      "on the libvirt host: virsh define FILE, then virsh start trustnet-NAME (bridge {} with {}/{} must exist "
      "there)\n",
      config.bridge_name, config.bridge_address, config.bridge_prefix);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "launch: run TrustNet golden images on this host.\n"
      "  launch init                  identities, seed disks, golden image digests\n"
      "  launch network up|down|status  the ULA bridge and one tap per instance (needs CAP_NET_ADMIN)\n"
      "  launch all | NAME            start instances and wait until they answer\n"
      "  launch stop all|NAME         power them off\n"
      "  launch status [all|NAME]     state, pid, uptime and what answers\n"
      "  launch logs NAME             the serial console\n"
      "  launch ssh NAME              log in as the operator\n"
      "  launch export libvirt [all|NAME]  libvirt domains of the instances",
      "launch"};
  app.set_version_flag("--version", std::string("launch ") + TRUSTNET_VERSION);
  fs::path config_file;
  bool verbose = false;
  auto add_config = [&](CLI::App& command) {
    command.add_option("--config", config_file,
                       "launcher configuration (default: $TRUSTNET_CONFIG, else launcher/trustnet.yaml "
                       "in a checkout, else " +
                           install_paths::launch_config().string() + ")");
    command.add_flag("-v,--verbose", verbose, "say which configuration and state folder are used");
  };
  add_config(app);

  std::string which;
  StartFlags start;
  app.add_option("instances", which, "all, or the name of one instance to start");
  app.add_flag("--dry-run", start.dry_run, "print the commands that would run, and run none");
  app.add_option("--accel", start.accel,
                 "QEMU acceleration: auto (KVM on aarch64 Linux, HVF on Apple silicon, else TCG), kvm, hvf, tcg")
      ->check(CLI::IsMember({"auto", "kvm", "hvf", "tcg"}))
      ->capture_default_str();
  app.add_option("--wait", start.wait,
                 "wait until instances are up (SSH and service answer), reachable (ping or any service), or started")
      ->check(CLI::IsMember({"up", "reachable", "started"}))
      ->capture_default_str();
  app.add_option("--timeout", start.timeout, "seconds to wait")->check(CLI::Range(1, 86400))->capture_default_str();
  app.add_flag("--json", start.json, "print the final table as JSON");
  app.add_flag("-q,--quiet", start.quiet, "print errors and the final table only");

  CLI::App* init =
      app.add_subcommand("init",
                         "create the identities (keys, genesis, CA, certificates, credentials) and seed disks, "
                         "and record each golden image's SHA-256; existing identities are kept");
  bool rotate = false, init_json = false;
  init->add_flag("--rotate", rotate, "make new identities for every instance, the CA and the registry password");
  init->add_flag("--json", init_json, "print the outcome as JSON");
  add_config(*init);

  CLI::App* network =
      app.add_subcommand("network", "create, remove or show the bridge, its address and the instances' taps");
  std::string network_action, owner;
  bool network_json = false;
  network->add_option("action", network_action, "up, down or status")
      ->required()
      ->check(CLI::IsMember({"up", "down", "status"}));
  network->add_option(
      "--owner", owner,
      "user (name or uid) who may open the taps, that is who runs QEMU (default: the sudo user, else you)");
  network->add_flag("--json", network_json, "print the outcome as JSON");
  add_config(*network);

  CLI::App* stop =
      app.add_subcommand("stop", "power instances off: ACPI power-down, then SIGTERM, then SIGKILL; disks stay");
  std::string stop_which;
  int stop_timeout = 120;
  bool stop_json = false;
  stop->add_option("instances", stop_which, "all, or an instance name")->required();
  stop->add_option("--timeout", stop_timeout, "seconds to wait for the guest to power off before SIGTERM")
      ->check(CLI::Range(0, 3600))
      ->capture_default_str();
  stop->add_flag("--json", stop_json, "print the outcome as JSON");
  add_config(*stop);

  CLI::App* status = app.add_subcommand("status", "show each instance's state, pid, uptime and what answers");
  std::string status_which = "all";
  bool status_json_flag = false;
  status->add_option("instances", status_which, "all, or an instance name")->capture_default_str();
  status->add_flag("--json", status_json_flag, "machine-readable output");
  add_config(*status);

  CLI::App* logs = app.add_subcommand("logs", "print an instance's serial console log");
  std::string logs_name;
  bool follow = false;
  logs->add_option("name", logs_name, "instance name")->required();
  logs->add_flag("-f,--follow", follow, "keep printing while the instance runs");
  add_config(*logs);

  CLI::App* ssh =
      app.add_subcommand("ssh", "log in to an instance as its operator, checking the host key made by init");
  std::string ssh_name;
  bool ipv4 = false, ssh_dry_run = false;
  std::string identity;
  std::vector<std::string> ssh_args;
  ssh->add_option("name", ssh_name, "instance name")->required();
  ssh->add_flag("--ipv4", ipv4, "go through the forwarded port on 127.0.0.1 instead of the ULA address");
  ssh->add_option("-i,--identity", identity,
                  "the operator's private key file (default: ssh's own choice, or the agent)");
  ssh->add_flag("--dry-run", ssh_dry_run, "print the ssh command instead of running it");
  ssh->add_option("command", ssh_args, "command to run remotely (after --)");
  add_config(*ssh);

  CLI::App* export_command = app.add_subcommand("export",
                                                "write instances as libvirt domains (XML) that use the disks and seed "
                                                "launch made, for hosts that run libvirt");
  std::string export_format, export_which = "all", export_type = "kvm";
  fs::path export_out = "libvirt";
  bool export_json = false;
  export_command->add_option("format", export_format, "libvirt")->required()->check(CLI::IsMember({"libvirt"}));
  export_command->add_option("instances", export_which, "all, or an instance name")->capture_default_str();
  export_command->add_option("--out", export_out, "folder that gets NAME.xml per instance")->capture_default_str();
  export_command->add_option("--domain-type", export_type, "kvm (an aarch64 host with KVM) or qemu (emulation)")
      ->check(CLI::IsMember({"kvm", "qemu"}))
      ->capture_default_str();
  export_command->add_flag("--json", export_json, "print the outcome as JSON");
  add_config(*export_command);

  // For shell completion (docs/completion/launch): the instance names of the configuration in use.
  CLI::App* instance_names = app.add_subcommand("__instances", "")->group("");
  add_config(*instance_names);

  return run_command_line(app, argc, argv, "launch", [&] {
    if (which.empty() && !*init && !*network && !*stop && !*status && !*logs && !*ssh && !*export_command &&
        !*instance_names) {
      fmt::print(stderr, "launch: name what to start (all or an instance) or a command; see launch --help\n");
      return 2;
    }
    const FoundPlace found = locate_launch_config(config_file, std::getenv("TRUSTNET_CONFIG"));
    const LaunchConfig config = load_launch_config(found.path);
    if (verbose)
      fmt::print(stderr, "launch: configuration {} (from {}), state folder {}\n", found.path.string(), found.source,
                 config.state_dir.string());
    if (*instance_names) {
      for (const auto& instance : config.instances) fmt::print("{}\n", instance.identity.name);
      return 0;
    }
    // Whatever the command, a state folder someone else could write is not used (init creates it).
    if (fs::exists(config.state_dir)) check_private_tree(config.state_dir);
    if (*init) return run_init(config, rotate, init_json);
    if (*network) return run_network(config, network_action, owner, network_json);
    if (*stop) return run_stop(config, stop_which, stop_timeout, stop_json);
    if (*status) return run_status(config, status_which, status_json_flag);
    if (*logs) return run_logs(config, logs_name, follow);
    if (*export_command) return run_export(config, export_which, export_out, export_type, export_json);
    if (*ssh) return run_ssh(config, ssh_name, ipv4, identity, ssh_dry_run, ssh_args);
    return run_start(config, which, start);
  });
}
