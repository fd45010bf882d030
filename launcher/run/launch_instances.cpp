#include "launcher/run/launch_instances.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <future>
#include <thread>

#include "common/error.hpp"
#include "common/interrupt.hpp"
#include "common/process.hpp"
#include "launcher/instance/golden_image.hpp"
#include "launcher/instance/instance_disk.hpp"
#include "launcher/instance/instance_runtime.hpp"
#include "launcher/qemu/qemu_process.hpp"
#include "launcher/run/boot_display.hpp"
#include "launcher/run/preflight.hpp"

namespace trustnet::launcher {
namespace fs = std::filesystem;
using namespace std::chrono;

namespace {

fs::path ca_file(const LaunchConfig& config) { return config.state_dir / "network" / "ca.crt"; }

bool reached(Phase phase, WaitFor wait) {
  switch (wait) {
    case WaitFor::started: return phase != Phase::stopped && phase != Phase::exited;
    case WaitFor::reachable: return phase == Phase::reachable || phase == Phase::up;
    case WaitFor::up: return phase == Phase::up;
  }
  return false;
}

HealthRow probe_row(const LaunchConfig& config, const InstanceConfig& instance, Phase previous, milliseconds timeout) {
  const Runtime runtime = inspect_runtime(InstancePaths::in(config.state_dir, instance.identity.name));
  HealthRow row;
  row.name = instance.identity.name;
  row.address = instance.identity.address;
  const bool running = runtime.state == RunState::running;
  const Answers answers = probe_instance(instance, running, ca_file(config), timeout, row.answered);
  row.phase = next_phase(previous, answers);
  if (running) {
    row.pid = runtime.pid;
    row.uptime_seconds = duration<double>(system_clock::now() - runtime.started).count();
  }
  return row;
}

std::vector<HealthRow> probe_all(const LaunchConfig& config, const std::vector<InstanceConfig>& instances,
                                 const std::vector<Phase>& previous, milliseconds timeout) {
  std::vector<std::future<HealthRow>> rounds;
  for (size_t i = 0; i < instances.size(); ++i)
    rounds.push_back(std::async(std::launch::async, probe_row, std::cref(config), std::cref(instances[i]), previous[i], timeout));
  std::vector<HealthRow> rows;
  for (auto& round : rounds) rows.push_back(round.get());
  return rows;
}

}  // namespace

std::vector<std::string> launch_plan(const LaunchConfig& config, const std::vector<InstanceConfig>& instances, const LaunchOptions& options) {
  const Accel accel = choose_accel(this_host(), options.accel);
  std::vector<std::string> lines;
  for (const auto& instance : instances) {
    const InstancePaths paths = InstancePaths::in(config.state_dir, instance.identity.name);
    const fs::path golden = fs::absolute(instance.image).lexically_normal();
    lines.push_back(fmt::format("# {}: verify sha256 of {} against {}", instance.identity.name, golden.string(),
                                golden_record_file(config.state_dir, instance.identity.name).string()));
    if (!fs::exists(paths.disk)) lines.push_back(command_line(overlay_command(golden, paths.disk, instance.disk_size)));
    if (instance.boot == BootMode::uefi && !fs::exists(paths.efi_vars))
      lines.push_back(command_line({"cp", options.firmware.vars_template.string(), paths.efi_vars.string()}));
    lines.push_back(command_line(qemu_command(instance, paths, accel, options.firmware)));
  }
  return lines;
}

std::vector<HealthRow> launch_instances(const LaunchConfig& config, const std::vector<InstanceConfig>& instances, const LaunchOptions& options) {
  const Accel accel = choose_accel(this_host(), options.accel);
  for (const auto& note : preflight_host(config, instances))
    if (!options.quiet) fmt::print(stderr, "launch {}\n", note);
  // Golden images are hashed side by side: on a multi-core host the slowest image sets the time.
  std::vector<std::future<GoldenRecord>> verifications;
  for (const auto& instance : instances)
    verifications.push_back(
        std::async(std::launch::async, verify_golden_image, std::cref(config.state_dir), std::cref(instance), std::cref(config.trusted_key)));
  std::vector<GoldenRecord> golden;
  for (auto& verification : verifications) golden.push_back(verification.get());
  preflight_network(config, instances);

  // Each instance: prepare its disk, start QEMU; the instances side by side.
  std::vector<std::future<std::string>> starts;
  for (size_t i = 0; i < instances.size(); ++i)
    starts.push_back(std::async(std::launch::async, [&config, &instance = instances[i], &golden = golden[i], &options, accel] {
      const std::string& name = instance.identity.name;
      try {
        const InstancePaths paths = InstancePaths::in(config.state_dir, name);
        std::string done;
        for (const auto& step : prepare_instance_disk(instance, paths, golden, options.firmware)) done += step + "; ";
        const pid_t pid = start_qemu(name, qemu_command(instance, paths, accel, options.firmware), paths);
        return fmt::format("launch {}: {}started QEMU ({}), pid {}", name, done, accel_name(accel), pid);
      } catch (Error& e) {
        if (!e.has_context() && e.line().rfind(name + ":", 0) != 0) e.with_context(name);
        throw;
      }
    }));
  std::vector<std::string> failures;
  ExitCode code = ExitCode::failure;
  for (auto& start : starts) {
    try {
      const std::string line = start.get();
      if (!options.quiet) fmt::print(stderr, "{}\n", line);
    } catch (const Error& e) {
      failures.push_back(e.line());
      code = e.exit_code();
    }
  }
  if (!failures.empty()) {
    std::string joined;
    for (const auto& failure : failures) joined += (joined.empty() ? "" : "; ") + failure;
    throw Error(joined, code);
  }

  BootDisplay display(options.quiet);
  const auto started = steady_clock::now(), deadline = started + options.timeout;
  std::vector<Phase> phases(instances.size(), Phase::booting);
  std::vector<HealthRow> rows;
  for (;;) {
    const auto round_started = steady_clock::now();
    rows = probe_all(config, instances, phases, 1s);
    for (size_t i = 0; i < rows.size(); ++i) phases[i] = rows[i].phase;
    const double elapsed = duration<double>(steady_clock::now() - started).count();
    display.update(rows, elapsed);
    for (const auto& row : rows)
      if (row.phase == Phase::exited)
        throw Error(fmt::format("{}: QEMU exited while the guest was booting; see {}", row.name,
                                InstancePaths::in(config.state_dir, row.name).serial_log.string()));
    if (std::all_of(rows.begin(), rows.end(), [&](const HealthRow& row) { return reached(row.phase, options.wait); })) break;
    if (steady_clock::now() >= deadline) {
      std::string waiting;
      for (const auto& row : rows)
        if (!reached(row.phase, options.wait)) waiting += fmt::format("{}{} is {}", waiting.empty() ? "" : ", ", row.name, phase_name(row.phase));
      throw Error(fmt::format("timed out after {} s: {} (the instances keep running; see `launch status` and `launch logs NAME`)",
                              options.timeout.count(), waiting));
    }
    interrupt::throw_if_requested();
    std::this_thread::sleep_until(round_started + 1s);
  }
  display.finish();
  return rows;
}

std::vector<HealthRow> instance_status(const LaunchConfig& config, const std::vector<InstanceConfig>& instances, milliseconds probe_timeout) {
  return probe_all(config, instances, std::vector<Phase>(instances.size(), Phase::stopped), probe_timeout);
}

}  // namespace trustnet::launcher
