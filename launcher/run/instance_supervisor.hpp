#pragma once
// `launch run NAME`: one instance kept in the foreground for a service manager (systemd's
// trustnet@.service, OpenRC's supervise-daemon), which restarts it when it fails. The run starts
// the instance as `launch all` does, then watches it: READY=1 once it is `up`, STATUS= with its
// health line, WATCHDOG=1 only while the guest answers. It ends
//   - cleanly (exit 0) when asked to stop (ACPI power-down, then SIGTERM, then SIGKILL) or when
//     the guest powered off (QEMU exits 0: `launch stop`, a unit's ExecStop, or from inside);
//   - as a failure (the manager restarts it) when QEMU exits otherwise (a crash, a signal, a
//     guest panic through pvpanic) or when the guest, once up, stops answering: neither SSH nor
//     its service for `hang_after` (liveness, not progress: a node whose chain halts still
//     answers its RPC). The guest is then ended and the manager starts it again.
// How each run ended goes to the instance's supervision record, which `launch status` shows.
#include <atomic>
#include <chrono>
#include <optional>
#include <string>

#include "common/util/service_notify.hpp"
#include "launcher/run/instance_host.hpp"
#include "launcher/run/launch_instances.hpp"

namespace trustnet::launcher {

struct RunOptions {
  LaunchOptions launch;                 // acceleration, firmware; `timeout`: how long it may take to be up
  std::chrono::seconds hang_after{90};  // once up: silence this long is a hang
  std::chrono::milliseconds power_down_timeout{120000};
  std::optional<std::chrono::microseconds> watchdog;  // the manager's watchdog period, when it watches
};

struct RunEnd {
  bool failed = false;  // the manager should start it again
  std::string reason;   // "stopped: powered off in 3.1 s", "QEMU was killed by signal 9", …
};

// What a QEMU's wait status means, with what its console said when it panicked.
std::string qemu_end_reason(int wait_status, const std::optional<std::string>& console_said);

// Runs the instance until it ends or `stop` is set; `notifier` hears READY, STATUS, WATCHDOG and
// STOPPING. The record is kept up to date throughout; a start that fails is a failed run too.
RunEnd supervise_instance(InstanceHost& host, ServiceNotifier& notifier, const LaunchConfig& config,
                          const InstanceConfig& instance, const RunOptions& options, const std::atomic<bool>& stop);

}  // namespace trustnet::launcher
