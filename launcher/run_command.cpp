#include "launcher/run_command.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>

#include <atomic>
#include <chrono>

#include "common/util/error.hpp"
#include "common/util/file_lock.hpp"
#include "common/util/service_notify.hpp"
#include "launcher/run/accel_option.hpp"
#include "launcher/run/instance_supervisor.hpp"

namespace trustnet::launcher {
using namespace std::chrono;
namespace {

std::atomic<bool> stop_requested{false};

void on_stop_signal(int) { stop_requested = true; }

struct RunFlags {
  std::string name, accel = "auto";
  int timeout = 840, hang_after = 90, power_down_timeout = 120;
};

int run_instance(const LaunchConfig& config, const RunFlags& flags) {
  const auto selected = select_instances(config, flags.name);
  if (selected.size() != 1)
    throw Error(fmt::format("launch run takes one instance, not {}", flags.name), ExitCode::bad_input);
  const InstanceConfig& instance = selected.front();
  // One run of an instance at a time: a second would start a second QEMU on the same disks.
  const FileLock lock =
      lock_or_refuse(config.state_dir / instance.identity.name / "run.lock", "launch run " + instance.identity.name,
                     (config.state_dir / instance.identity.name).string());
  // QEMU is started detached; as the subreaper of what it starts, the run still learns how it ended.
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
    fmt::print(stderr, "launch run {}: cannot become the subreaper of QEMU; how it ends will not be known\n",
               instance.identity.name);
  // A stop (systemctl stop, Ctrl-C) powers the guest down by ACPI, never a kill first.
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  ::sigemptyset(&action.sa_mask);
  for (int signo : {SIGTERM, SIGINT, SIGHUP}) ::sigaction(signo, &action, nullptr);

  RunOptions options;
  options.launch.accel = forced_accel(flags.accel);
  options.launch.timeout = seconds(flags.timeout);
  options.launch.quiet = true;
  // The units of a host's instances start side by side: each waits its turn for the state folder.
  options.launch.lock_wait = std::chrono::minutes(5);
  options.hang_after = seconds(flags.hang_after);
  options.power_down_timeout = seconds(flags.power_down_timeout);
  options.watchdog = watchdog_period();
  const RunEnd end = supervise_instance(machine_host(), service_manager(), config, instance, options, stop_requested);
  return end.failed ? 1 : 0;
}

}  // namespace

CommandRun declare_run(CLI::App& command, ConfigChoice& config) {
  auto flags = std::make_shared<RunFlags>();
  config.add_to(command);
  command.add_option("instance", flags->name, "the instance to run")->required();
  add_accel_option(command, flags->accel);
  command.add_option("--timeout", flags->timeout, "seconds the instance may take to be up (0: no limit)")
      ->check(CLI::Range(0, 86400))
      ->capture_default_str();
  command
      .add_option("--hang-after", flags->hang_after,
                  "seconds without an answer from SSH or the service, once up, before the guest is ended as hung")
      ->check(CLI::Range(10, 3600))
      ->capture_default_str();
  command
      .add_option("--power-down-timeout", flags->power_down_timeout,
                  "seconds a stop waits for the guest to power off before SIGTERM")
      ->check(CLI::Range(0, 3600))
      ->capture_default_str();
  return [flags, &config] { return run_instance(config.load(StateUse::create), *flags); };
}

}  // namespace trustnet::launcher
