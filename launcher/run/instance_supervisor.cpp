#include "launcher/run/instance_supervisor.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/wait.h>

#include <cstring>
#include <ctime>

#include "common/util/error.hpp"
#include "launcher/health/console_failure.hpp"
#include "launcher/health/health_monitor.hpp"
#include "launcher/health/instance_health.hpp"
#include "launcher/instance/stop_request.hpp"
#include "launcher/instance/supervision_record.hpp"

namespace trustnet::launcher {
using namespace std::chrono;

std::string qemu_end_reason(int wait_status, const std::optional<std::string>& console_said) {
  const bool panicked = console_said && console_said->starts_with("Kernel panic");
  if (wait_status < 0) return "QEMU exited (its status is not known)";
  if (WIFSIGNALED(wait_status))
    return fmt::format("QEMU was killed by signal {} ({})", WTERMSIG(wait_status), ::strsignal(WTERMSIG(wait_status)));
  const int code = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : wait_status;
  if (panicked) return fmt::format("the guest panicked ({}); QEMU exited with status {}", *console_said, code);
  if (code == 0) return "QEMU ended cleanly: the guest powered off (`launch stop`, or from inside)";
  return fmt::format("QEMU exited with status {}", code);
}

namespace {

int64_t epoch_now() { return static_cast<int64_t>(std::time(nullptr)); }

// The health line STATUS= carries: "up: ping,ssh,rpc; height 42, 3 peers".
std::string status_line(const HealthMonitor& monitor) {
  HealthRow row;
  row.phase = monitor.tracker().phase();
  fill_from_monitor(row, monitor);
  std::string line = fmt::format("{}: {}", phase_name(row.phase), answered_text(row));
  if (row.chain) line += "; " + chain_text(row);
  return line;
}

class Supervision {
 public:
  Supervision(const InstancePaths& paths, const std::string& name) : paths_(paths), name_(name) {
    record_ = read_supervision_record(paths).value_or(SupervisionRecord{});
  }
  // A run begins: after one that failed (or was killed before it could say), it is a restart,
  // said in one line for the journal.
  void begin() {
    const bool after_failure = record_.running || !record_.last_failure.empty();
    if (record_.running) {
      record_.last_failure = "the previous run ended without a word (killed, or its watchdog expired)";
      record_.last_failure_at = epoch_now();
    }
    if (after_failure) {
      ++record_.restarts;
      fmt::print(stderr, "launch run {}: restart {} after: {}\n", name_, record_.restarts, record_.last_failure);
    }
    record_.running = true;
    record_.up_since = 0;
    write_supervision_record(paths_, record_);
  }
  void up() {
    record_.up_since = epoch_now();
    write_supervision_record(paths_, record_);
  }
  RunEnd end(RunEnd how) {
    record_.running = false;
    record_.up_since = 0;
    if (how.failed) {
      record_.last_failure = how.reason;
      record_.last_failure_at = epoch_now();
    } else {
      record_.restarts = 0;  // a clean stop: the next start is no restart
      record_.last_failure.clear();
    }
    write_supervision_record(paths_, record_);
    fmt::print(stderr, "launch run {}: {}\n", name_, how.reason);
    return how;
  }

 private:
  InstancePaths paths_;
  std::string name_;
  SupervisionRecord record_;
};

}  // namespace

RunEnd supervise_instance(InstanceHost& host, ServiceNotifier& notifier, const LaunchConfig& config,
                          const InstanceConfig& instance, const RunOptions& options, const std::atomic<bool>& stop) {
  const std::string& name = instance.identity.name;
  const InstancePaths paths = InstancePaths::in(config.state_dir, name);
  Supervision supervision(paths, name);
  supervision.begin();
  clear_stop_request(paths);

  LaunchOptions start = options.launch;
  start.wait = WaitFor::started;  // the watch below waits, and keeps watching
  try {
    launch_instances(host, config, {instance}, start);
  } catch (const Error& e) {
    return supervision.end({true, fmt::format("it did not start: {}", e.what())});
  }
  const pid_t pid = host.runtime(paths).pid;
  Clock& clock = host.clock();
  HealthMonitor monitor(probe_targets(instance, network_ca_file(config)), ProbePolicy{}, host.prober(), clock);
  // QEMU ended by the escalation of `launch stop` (power_down 0: SIGTERM first), and reaped.
  const auto end_qemu = [&](milliseconds power_down) {
    const StopOutcome stopped = host.stop_qemu(paths, power_down);
    host.reap(pid);
    return stopped;
  };
  const auto started = clock.now();
  std::optional<steady_clock::time_point> up_at, last_ping;
  std::string status;
  bool stopping = false;  // `launch stop` (a unit's ExecStop, or an operator) powers it down
  for (;;) {
    const bool asked_to_stop = stop_requested(paths);
    if (asked_to_stop && !stopping) {
      stopping = true;
      notifier.notify("STOPPING=1\nSTATUS=powering off (launch stop)");
    }
    if (const auto ended = host.reap(pid)) {
      const std::string reason = qemu_end_reason(*ended, console_failure_in(paths.serial_log));
      // Whatever the stop's escalation took (SIGTERM, SIGKILL), it was asked for.
      if (stopping) return supervision.end({false, "stopped by launch stop: " + reason});
      return supervision.end({*ended != 0, reason});
    }
    // After the reap: a unit's stop sends SIGTERM once its ExecStop has ended QEMU, and how QEMU
    // ended is the better line.
    if (stop) {
      notifier.notify("STOPPING=1");
      return supervision.end({false, "stopped: " + describe(end_qemu(options.power_down_timeout))});
    }
    if (asked_to_stop) {  // silence is the power-down's; the stop ends QEMU
      clock.sleep_for(500ms);
      continue;
    }
    monitor.poll();
    const auto now = clock.now();
    if (!up_at && monitor.tracker().reached_up()) {
      up_at = now;
      supervision.up();
      notifier.notify("READY=1\nSTATUS=" + status_line(monitor));
    }
    if (!up_at && options.launch.timeout.count() > 0 && now - started >= options.launch.timeout) {
      end_qemu(options.power_down_timeout);
      std::string reason = fmt::format("not up within {} s", options.launch.timeout.count());
      if (const auto said = console_failure_in(paths.serial_log)) reason += fmt::format(" (its console: {})", *said);
      return supervision.end({true, reason});
    }
    if (up_at) {
      // Liveness: SSH and the role's service have each answered within hang_after (the service
      // at all: a node whose height stands still answers).
      auto recent = [&](ProbeKind kind) {
        const auto at = monitor.last_answer(kind);
        return at && now - *at < options.hang_after;
      };
      std::vector<std::string> silent;
      for (ProbeKind kind : {ProbeKind::ssh, ProbeKind::service})
        if (!recent(kind)) silent.push_back(monitor.name(kind));
      const bool answers = silent.empty();
      if (!answers && now - *up_at >= options.hang_after) {
        // A guest that does not answer cannot be trusted to power off: QEMU is ended.
        end_qemu(milliseconds(0));
        return supervision.end({true, fmt::format("the guest stopped answering ({} silent for {} s): ended as hung",
                                                  fmt::join(silent, " and "), options.hang_after.count())});
      }
      // The watchdog is fed only while the latest probes answered.
      const bool answering_now = monitor.answered_last(ProbeKind::ssh) && monitor.answered_last(ProbeKind::service);
      if (answering_now && options.watchdog && (!last_ping || now - *last_ping >= *options.watchdog / 2)) {
        notifier.notify("WATCHDOG=1");
        last_ping = now;
      }
      if (const std::string line = status_line(monitor); line != status) {
        notifier.notify("STATUS=" + line);
        status = line;
      }
    }
    clock.sleep_for(500ms);
  }
}

}  // namespace trustnet::launcher
