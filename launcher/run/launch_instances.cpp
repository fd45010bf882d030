#include "launcher/run/launch_instances.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <mutex>

#include "common/util/error.hpp"
#include "common/util/file_lock.hpp"
#include "common/util/interrupt.hpp"
#include "common/util/parallel_tasks.hpp"
#include "launcher/health/console_failure.hpp"
#include "launcher/health/health_probe.hpp"
#include "launcher/instance/golden_image.hpp"
#include "launcher/instance/golden_pin.hpp"
#include "launcher/instance/instance_disk.hpp"
#include "launcher/instance/instance_runtime.hpp"
#include "launcher/instance/supervision_record.hpp"
#include "launcher/run/boot_display.hpp"
#include "launcher/run/preflight.hpp"
#include "launcher/run/start_plan.hpp"

namespace trustnet::launcher {
namespace fs = std::filesystem;
using namespace std::chrono;

namespace {

bool reached(const HealthTracker& tracker, bool running, WaitFor wait) {
  if (!running) return false;
  switch (wait) {
    case WaitFor::started: return true;
    case WaitFor::reachable: return tracker.reached_reachable();
    case WaitFor::up: return tracker.reached_up();
  }
  return false;
}

// The instances being watched: each with its own monitor, probing in the background.
struct Watch {
  const InstanceConfig& instance;
  InstancePaths paths;
  std::unique_ptr<HealthMonitor> monitor;
  Runtime runtime;
  std::string recorded;               // what the health record last said, one 0/1 per probe kind
  std::optional<GoldenRecord> image;  // what its system disk was made from
};

std::vector<Watch> watch(InstanceHost& host, const LaunchConfig& config, const std::vector<InstanceConfig>& instances) {
  std::vector<Watch> watches;
  for (const auto& instance : instances) {
    const InstancePaths paths = InstancePaths::in(config.state_dir, instance.identity.name);
    watches.push_back({instance, paths,
                       std::make_unique<HealthMonitor>(probe_targets(instance, network_ca_file(config)), ProbePolicy{},
                                                       host.prober(), host.clock()),
                       host.runtime(paths), "", system_disk_origin(paths)});
  }
  return watches;
}

// Polls every monitor once; keeps each health record up to date. Returns whether anything arrived.
bool poll_all(InstanceHost& host, std::vector<Watch>& watches) {
  bool arrived = false;
  for (auto& w : watches) {
    w.runtime = host.runtime(w.paths);
    if (w.runtime.state != RunState::running || !w.monitor->poll()) continue;
    arrived = true;
    std::string answered;  // what the record holds: the kinds that have answered
    for (ProbeKind kind : kProbeKinds) answered += w.monitor->tracker().ever_answered(kind) ? "1" : "0";
    if (answered != w.recorded) {
      save_health_record(w.paths.health_record, w.runtime.pid, w.monitor->tracker());
      w.recorded = answered;
    }
  }
  return arrived;
}

// `gone` is the phase of an instance whose QEMU does not run: exited while we watched it, or stopped.
HealthRow row_of(const Watch& w, Phase gone) {
  HealthRow row;
  row.name = w.instance.identity.name;
  row.address = w.instance.identity.address;
  if (w.image) {
    row.image = w.image->image.string();
    row.image_sha256 = w.image->sha256;
  }
  const bool running = w.runtime.state == RunState::running;
  row.phase = running ? w.monitor->tracker().phase() : gone;
  if (const auto record = read_supervision_record(w.paths))
    row.supervision = SupervisionView{record->restarts, record->last_failure, record->last_failure_at,
                                      running ? record->up_since : 0};
  if (running) {
    fill_from_monitor(row, *w.monitor);
    row.pid = w.runtime.pid;
    row.uptime_seconds = duration<double>(system_clock::now() - w.runtime.started).count();
  }
  return row;
}

}  // namespace

fs::path network_ca_file(const LaunchConfig& config) { return config.state_dir / "network" / "ca.crt"; }

LaunchPlan launch_plan(InstanceHost& host, const LaunchConfig& config, const std::vector<InstanceConfig>& instances,
                       const LaunchOptions& options) {
  const Accel accel = choose_accel(host.facts(), options.accel);
  LaunchPlan plan;
  for (const auto& instance : instances) {
    const InstancePaths paths = InstancePaths::in(config.state_dir, instance.identity.name);
    const std::string& name = instance.identity.name;
    const fs::path golden = fs::absolute(instance.image).lexically_normal();
    plan.lines.push_back(fmt::format("# {}: verify sha256 of {} against {}", name, golden.string(),
                                     golden_record_file(config.state_dir, name).string()));
    // The digest the pin is named after: the recorded one (a start refuses any other).
    const auto recorded = read_golden_record(config.state_dir, name);
    const GoldenRecord pinned{golden, recorded ? recorded->sha256 : "SHA256", 0};
    // The same value a start carries out (start_plan.hpp), decided the same way.
    try {
      for (std::string& line : describe_start(plan_start(host, instance, paths, pinned, accel, options.firmware)))
        plan.lines.push_back(std::move(line));
    } catch (Error& e) {
      if (!e.has_context() && !e.line().starts_with(name + ":")) e.with_context(name);
      if (!plan.stop) plan.stop = e.line();
    }
  }
  return plan;
}

std::vector<HealthRow> launch_instances(InstanceHost& host, const LaunchConfig& config,
                                        const std::vector<InstanceConfig>& instances, const LaunchOptions& options) {
  const HostFacts facts = host.facts();
  const Accel accel = choose_accel(facts, options.accel);
  static std::once_flag fallback_said;  // an upgrade starts instances one by one: said once
  if (const auto note = accel_fallback_note(facts, options.accel); note && !options.quiet)
    std::call_once(fallback_said, [&] { fmt::print(stderr, "launch: {}\n", *note); });
  for (const auto& note : preflight_host(host, config, instances))
    if (!options.quiet) fmt::print(stderr, "launch {}\n", note);
  // While disks are made and QEMUs started, no `launch init` may change what they are made from.
  std::optional<FileLock> lock =
      lock_within(config.state_dir / ".lock", "launch all", config.state_dir.string(), options.lock_wait);
  // Golden images are hashed side by side: on a multi-core host the slowest image sets the time.
  const std::vector<GoldenRecord> golden = parallel_map(instances, [&](const InstanceConfig& instance) {
    if (!options.recorded_image) return verify_golden_image(config.state_dir, instance, config.trusted_key);
    const auto record = read_golden_record(config.state_dir, instance.identity.name);
    if (!record) throw Error(fmt::format("{}: no golden image is recorded for it", instance.identity.name));
    return *record;
  });
  host.require_network(config, instances);

  // Each instance: prepare its disk, start QEMU; the instances side by side. Those that started
  // are reported before the failures of the others.
  std::vector<size_t> order(instances.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  const auto starts = parallel_outcomes(order, [&](size_t i) {
    const InstanceConfig& instance = instances[i];
    const std::string& name = instance.identity.name;
    try {
      const InstancePaths paths = InstancePaths::in(config.state_dir, name);
      return carry_out_start(host, plan_start(host, instance, paths, golden[i], accel, options.firmware));
    } catch (Error& e) {
      if (!e.has_context() && !e.line().starts_with(name + ":")) e.with_context(name);
      throw;
    }
  });
  for (const auto& start : starts)
    if (start.result && !options.quiet) fmt::print(stderr, "{}\n", *start.result);
  // Never after a refusal: the disk refused may be the one that still needs its pin.
  const bool all_started = std::all_of(starts.begin(), starts.end(), [](const auto& start) { return start.result; });
  try {
    if (all_started)
      for (const fs::path& pin : prune_pins(config.state_dir))
        if (!options.quiet) fmt::print(stderr, "launch: removed {}, which no system disk is made from\n", pin.string());
  } catch (const Error& e) {
    if (!options.quiet) fmt::print(stderr, "launch: {}\n", e.what());
  }
  throw_failures(starts);
  if (const auto refused = ping_refused(); refused && !options.quiet) fmt::print(stderr, "launch: {}\n", *refused);

  lock.reset();  // the wait below may last minutes: it changes nothing in the state folder
  BootDisplay display(options.quiet);
  Clock& clock = host.clock();
  const auto started = clock.now(), deadline = started + options.timeout;
  std::vector<Watch> watches = watch(host, config, instances);
  auto last_drawn = steady_clock::time_point{};
  for (;;) {
    const bool arrived = poll_all(host, watches);
    std::vector<HealthRow> rows;
    for (const auto& w : watches) rows.push_back(row_of(w, Phase::exited));
    const auto now = clock.now();
    if (arrived || now - last_drawn >= 1s) {
      display.update(rows, duration<double>(now - started).count());
      last_drawn = now;
    }
    for (const auto& row : rows)
      if (row.phase == Phase::exited)
        throw Error(fmt::format("{}: QEMU exited while the guest was booting; see {}", row.name,
                                InstancePaths::in(config.state_dir, row.name).serial_log.string()));
    if (std::all_of(watches.begin(), watches.end(), [&](const Watch& w) {
          return reached(w.monitor->tracker(), w.runtime.state == RunState::running, options.wait);
        })) {
      display.finish();
      return rows;
    }
    if (now >= deadline) {
      std::string waiting;
      for (size_t i = 0; i < rows.size(); ++i)
        if (!reached(watches[i].monitor->tracker(), true, options.wait)) {
          waiting += fmt::format("{}{} is {}", waiting.empty() ? "" : ", ", rows[i].name, phase_name(rows[i].phase));
          // What the guest itself said went wrong, where it said so: more than a bare timeout.
          if (const auto said = console_failure_in(watches[i].paths.serial_log))
            waiting += fmt::format(" (its console: {})", *said);
        }
      throw Error(fmt::format(
          "timed out after {} s: {} (the instances keep running; see `launch status` and `launch logs NAME`)",
          options.timeout.count(), waiting));
    }
    interrupt::throw_if_requested();
    clock.sleep_for(100ms);
  }
}

std::vector<HealthRow> instance_status(InstanceHost& host, const LaunchConfig& config,
                                       const std::vector<InstanceConfig>& instances) {
  std::vector<Watch> watches = watch(host, config, instances);
  for (auto& w : watches)
    if (w.runtime.state == RunState::running)
      restore_health_record(w.paths.health_record, w.runtime.pid, w.monitor->tracker());
  // The same probes with the same patience as `launch all`: each kind probed until it has a
  // verdict. Bounded: a kind in doubt settles after `lost_after` probes of at most `patience` each.
  const ProbePolicy policy;
  Clock& clock = host.clock();
  const auto deadline = clock.now() + policy.patience * (policy.lost_after + 1) + policy.retry * policy.lost_after;
  for (;;) {
    poll_all(host, watches);
    if (std::all_of(watches.begin(), watches.end(),
                    [](const Watch& w) { return w.runtime.state != RunState::running || w.monitor->settled(); }) ||
        clock.now() >= deadline)
      break;
    clock.sleep_for(100ms);
  }
  std::vector<HealthRow> rows;
  for (const auto& w : watches) rows.push_back(row_of(w, Phase::stopped));
  return rows;
}

}  // namespace trustnet::launcher
