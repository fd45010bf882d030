#include "launcher/run/upgrade_instances.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>

#include "common/util/error.hpp"
#include "common/util/file_lock.hpp"
#include "common/util/interrupt.hpp"
#include "common/util/process.hpp"
#include "launcher/health/health_probe.hpp"
#include "launcher/instance/golden_pin.hpp"
#include "launcher/instance/instance_disk.hpp"

namespace trustnet::launcher {
namespace fs = std::filesystem;
using namespace std::chrono;

namespace {

std::string short_digest(const GoldenRecord& record) { return record.sha256.substr(0, 12); }

std::string image_text(const GoldenRecord& record) {
  return fmt::format("{} ({})", short_digest(record), record.image.string());
}

// What the gate asks of the instance, in words.
std::string gate_text(const InstanceConfig& instance, std::optional<uint64_t> height) {
  std::string text = fmt::format("up (ssh and {} answer)", service_probe_name(instance.identity.role));
  if (instance.identity.role == Role::node)
    text += height ? fmt::format(", its chain caught up and past height {}", *height)
                   : ", its chain caught up and committing";
  return text;
}

// The height a running node has now, when its RPC says.
std::optional<uint64_t> current_height(InstanceHost& host, const LaunchConfig& config, const InstanceConfig& instance) {
  if (instance.identity.role != Role::node) return std::nullopt;
  const HealthRow row = instance_status(host, config, {instance}).front();
  if (row.chain) return row.chain->height;
  return std::nullopt;
}

// Waits until the instance passes the gate; what it lacked when the time ran out, otherwise.
std::optional<std::string> wait_healthy(InstanceHost& host, const LaunchConfig& config, const InstanceConfig& instance,
                                        std::optional<uint64_t> height_before, steady_clock::time_point deadline) {
  const std::string service = service_probe_name(instance.identity.role);
  std::string lacking = "nothing answered";
  do {
    interrupt::throw_if_requested();
    const HealthRow row = instance_status(host, config, {instance}).front();
    if (row.phase == Phase::stopped || row.phase == Phase::exited)
      return "its QEMU exited while the guest was booting (see `launch logs " + instance.identity.name + "`)";
    std::vector<std::string> silent;
    for (const std::string& kind : {std::string("ssh"), service})
      if (std::find(row.answered.begin(), row.answered.end(), kind) == row.answered.end() ||
          std::find(row.lost.begin(), row.lost.end(), kind) != row.lost.end())
        silent.push_back(kind);
    if (!silent.empty()) {
      lacking = fmt::format("{} did not answer (it was {})", fmt::join(silent, " and "), phase_name(row.phase));
    } else if (instance.identity.role == Role::node) {
      const uint64_t floor = height_before.value_or(0);
      if (row.chain && !row.chain->catching_up && row.chain->height > floor) return std::nullopt;
      lacking = !row.chain ? "its RPC gave no chain status"
                : row.chain->catching_up
                    ? fmt::format("its chain was still catching up at height {}", row.chain->height)
                    : fmt::format("its chain stood at height {}, not past {}", row.chain->height, floor);
    } else {
      return std::nullopt;
    }
    host.clock().sleep_for(2s);
  } while (host.clock().now() < deadline);
  return lacking;
}

FileLock lock_state_folder(const LaunchConfig& config) {
  return lock_or_refuse(config.state_dir / ".lock", "launch upgrade", config.state_dir.string());
}

LaunchOptions start_only(const UpgradeOptions& options) {
  LaunchOptions launch = options.launch;
  launch.wait = WaitFor::started;  // the gate below waits, with its own verdict
  return launch;
}

// Puts the old system disk back and starts it again when it ran; what became of it, in words.
std::string roll_back(InstanceHost& host, const LaunchConfig& config, const InstanceConfig& instance,
                      const InstancePaths& paths, const UpgradeChoice& choice,
                      const std::optional<GoldenRecord>& recorded, bool was_running, const UpgradeOptions& options) {
  {
    const FileLock lock = lock_state_folder(config);
    host.stop_qemu(paths, options.power_down_timeout);
    if (fs::exists(previous_folder(paths) / paths.disk.filename())) {
      restore_system_disk(paths);
    } else {  // there was no system disk yet: the instance is left as it was, with its old record
      discard_system_disk(paths);
      if (recorded) write_golden_record(config.state_dir, instance.identity.name, *recorded);
    }
  }
  const std::string old = choice.running ? image_text(*choice.running) : "its old image";
  if (!was_running || !choice.running) return fmt::format("rolled back to {}, not started (it was not running)", old);
  try {
    LaunchOptions launch = options.launch;
    launch.wait = WaitFor::up;
    launch.recorded_image = true;  // the image it ran, which its put-back disk's pin holds
    launch_instances(host, config, {instance}, launch);
    return fmt::format("rolled back to {}, which is up again", old);
  } catch (const Error& e) {
    return fmt::format("rolled back to {}, which did not come up again either: {}", old, e.what());
  }
}

UpgradeOutcome upgrade_one(InstanceHost& host, const LaunchConfig& config, const InstanceConfig& instance,
                           const UpgradeChoice& choice, const UpgradeOptions& options) {
  const std::string& name = instance.identity.name;
  if (choice.current()) return {name, fmt::format("already runs {}", image_text(choice.next))};
  Clock& clock = host.clock();
  const auto started = clock.now();
  const InstancePaths paths = InstancePaths::in(config.state_dir, name);
  const bool was_running = host.runtime(paths).state == RunState::running;
  const std::optional<uint64_t> height_before = was_running ? current_height(host, config, instance) : std::nullopt;
  const std::optional<GoldenRecord> recorded = read_golden_record(config.state_dir, name);

  {
    // No `launch all` or `init` beside the moves; the start below takes the lock itself.
    const FileLock lock = lock_state_folder(config);
    // Never two signers: the old QEMU is gone before anything else happens.
    const StopOutcome stopped = host.stop_qemu(paths, options.power_down_timeout);
    if (!options.launch.quiet && stopped.how != StopOutcome::How::not_running)
      fmt::print(stderr, "launch {}: {}\n", name, describe(stopped));
    if (fs::exists(paths.disk)) set_aside_system_disk(paths);
    write_golden_record(config.state_dir, name, choice.next);
  }

  std::optional<std::string> failure;
  try {
    launch_instances(host, config, {instance}, start_only(options));
    failure = wait_healthy(host, config, instance, height_before, clock.now() + options.launch.timeout);
    if (failure)
      failure = fmt::format("not {} within {} s: {}", gate_text(instance, height_before),
                            options.launch.timeout.count(), *failure);
  } catch (const Error& e) {
    failure = e.what();
  }
  if (failure) {
    const std::string outcome = roll_back(host, config, instance, paths, choice, recorded, was_running, options);
    throw Error(fmt::format("{}: the new image {} was {}; {}; the rollout stopped", name, image_text(choice.next),
                            failure->starts_with("not ") ? *failure : "refused: " + *failure, outcome));
  }
  const HealthRow row = instance_status(host, config, {instance}).front();
  std::string text =
      fmt::format("upgraded from {} to {} in {:.1f} s ({}", choice.running ? short_digest(*choice.running) : "none",
                  image_text(choice.next), duration<double>(clock.now() - started).count(), phase_name(row.phase));
  if (row.chain) text += fmt::format(", height {}", row.chain->height);
  return {name, text + ")"};
}

}  // namespace

std::vector<UpgradeChoice> upgrade_choices(const LaunchConfig& config, const std::vector<InstanceConfig>& instances) {
  std::vector<UpgradeChoice> choices;
  for (const auto& instance : instances) {
    const std::string& name = instance.identity.name;
    const InstancePaths paths = InstancePaths::in(config.state_dir, name);
    require_identity(paths, name);
    choices.push_back({name, system_disk_origin(paths), inspect_golden_image(instance, config.trusted_key)});
  }
  return choices;
}

std::vector<std::string> upgrade_plan(const LaunchConfig& config, const std::vector<InstanceConfig>& instances,
                                      const std::vector<UpgradeChoice>& choices, const UpgradeOptions& options) {
  std::vector<std::string> lines;
  for (size_t i = 0; i < instances.size(); ++i) {
    const InstanceConfig& instance = instances[i];
    const UpgradeChoice& choice = choices[i];
    const std::string& name = instance.identity.name;
    const InstancePaths paths = InstancePaths::in(config.state_dir, name);
    if (choice.current()) {
      lines.push_back(fmt::format("# {}: already runs {}; nothing to do", name, image_text(choice.next)));
      continue;
    }
    lines.push_back(fmt::format("# {}: {}; the configuration names {}{}", name,
                                choice.running ? "runs " + image_text(*choice.running) : "no system disk yet",
                                image_text(choice.next),
                                config.trusted_key ? ", a release verified with " + config.trusted_key->string() : ""));
    lines.push_back(
        fmt::format("# {}: stop: ACPI power-down ({} s), then SIGTERM, then SIGKILL; QEMU gone before "
                    "anything else",
                    name, options.power_down_timeout.count()));
    if (fs::exists(paths.disk))
      lines.push_back(fmt::format("# {}: set aside {}, disk.json and golden.json in {}", name, paths.disk.string(),
                                  previous_folder(paths).string()));
    for (const DiskAction& action : plan_new_system_disk(instance, paths, choice.next))
      lines.push_back(describe_action(action, name));
    lines.push_back(fmt::format("# {}: start it on the new disk and its state disk {}, then wait up to {} s until {}",
                                name, paths.state_disk.string(), options.launch.timeout.count(),
                                gate_text(instance, std::nullopt)));
    lines.push_back(fmt::format("# {}: otherwise stop it, put {} back, start it again and stop the rollout", name,
                                previous_folder(paths).string()));
  }
  return lines;
}

std::vector<UpgradeOutcome> upgrade_instances(InstanceHost& host, const LaunchConfig& config,
                                              const std::vector<InstanceConfig>& instances,
                                              const std::vector<UpgradeChoice>& choices,
                                              const UpgradeOptions& options) {
  std::vector<UpgradeOutcome> outcomes;
  for (size_t i = 0; i < instances.size(); ++i) {
    outcomes.push_back(upgrade_one(host, config, instances[i], choices[i], options));
    if (!options.launch.quiet) fmt::print(stderr, "launch {}: {}\n", outcomes.back().name, outcomes.back().text);
  }
  return outcomes;
}

}  // namespace trustnet::launcher
