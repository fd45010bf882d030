#include "launcher/qemu/qemu_process.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include "common/handles/unique_fd.hpp"
#include "common/util/error.hpp"
#include "common/util/process.hpp"
#include "common/util/text_file.hpp"
#include "launcher/instance/instance_runtime.hpp"
#include "launcher/qemu/qmp_client.hpp"

namespace trustnet::launcher {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::string last_line(const std::string& text) {
  std::string trimmed = text.substr(0, text.find_last_not_of("\n ") + 1);
  return trimmed.substr(trimmed.find_last_of('\n') + 1);
}

// Polls until the process is gone or the deadline passes.
bool wait_gone(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (process_alive(pid)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

}  // namespace

pid_t start_qemu(const std::string& name, const std::vector<std::string>& argv, const InstancePaths& paths,
                 std::chrono::milliseconds timeout) {
  // The previous boot's console stays readable beside the new one.
  std::error_code ignored;
  if (fs::exists(paths.serial_log)) fs::rename(paths.serial_log, paths.serial_log.string() + ".previous", ignored);
  fs::remove(paths.qemu_log, ignored);
  // The console can show secrets (keys being installed): 0600 before QEMU writes its first byte
  // (QEMU opens an existing file and keeps its mode).
  UniqueFd console(::open(paths.serial_log.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!console.valid())
    throw Error(fmt::format("{}: cannot create {}: {}", name, paths.serial_log.string(), std::strerror(errno)));
  console.reset();
  // QEMU's own -daemonize forks after its sandbox is in place, which spawn=deny forbids: the
  // launcher detaches it instead, and it is ready when its QMP monitor answers.
  const pid_t pid = spawn_detached(argv, paths.qemu_log);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (!process_alive(pid)) {
      const std::string said = fs::exists(paths.qemu_log) ? last_line(read_text_file(paths.qemu_log, 1 << 20)) : "";
      throw Error(fmt::format("{}: QEMU did not start: {}", name, said.empty() ? "it exited without a word" : said));
    }
    if (fs::exists(paths.qmp_socket) && inspect_runtime(paths).state == RunState::running) {
      try {
        QmpClient qmp(paths.qmp_socket, 2s);
        qmp.execute("query-status");
        return pid;
      } catch (const Error&) {
        // not listening yet
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      throw Error(fmt::format("{}: QEMU did not answer on {} within {} s; see {}", name, paths.qmp_socket.string(),
                              std::chrono::duration_cast<std::chrono::seconds>(timeout).count(),
                              paths.qemu_log.string()));
    }
    std::this_thread::sleep_for(50ms);
  }
}

StopOutcome stop_qemu(const InstancePaths& paths, std::chrono::milliseconds power_down_timeout) {
  const Runtime runtime = inspect_runtime(paths);
  StopOutcome outcome;
  if (runtime.state != RunState::running) {
    remove_runtime_files(paths);  // a stale pid file is cleaned up
    return outcome;
  }
  const auto started = std::chrono::steady_clock::now();
  auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(); };
  try {
    QmpClient qmp(paths.qmp_socket, 5s);
    qmp.execute("system_powerdown");
    if (wait_gone(runtime.pid, power_down_timeout)) {
      remove_runtime_files(paths);
      return {StopOutcome::How::powered_off, seconds(), ""};
    }
    outcome.note = fmt::format("the guest did not power off within {} s", power_down_timeout.count() / 1000.0);
  } catch (const Error& e) {
    outcome.note = e.what();
  }
  if (::kill(runtime.pid, SIGTERM) < 0 && errno != ESRCH)
    throw Error(fmt::format("cannot signal QEMU pid {}: {}", runtime.pid, std::strerror(errno)));
  outcome.how = StopOutcome::How::terminated;
  if (!wait_gone(runtime.pid, 10s)) {
    ::kill(runtime.pid, SIGKILL);
    outcome.how = StopOutcome::How::killed;
    if (!wait_gone(runtime.pid, 5s)) throw Error(fmt::format("QEMU pid {} survived SIGKILL", runtime.pid));
  }
  remove_runtime_files(paths);
  outcome.seconds = seconds();
  return outcome;
}

std::string describe(const StopOutcome& outcome) {
  switch (outcome.how) {
    case StopOutcome::How::not_running: return "not running";
    case StopOutcome::How::powered_off: return fmt::format("powered off in {:.1f} s", outcome.seconds);
    case StopOutcome::How::terminated:
      return fmt::format("terminated with SIGTERM in {:.1f} s ({})", outcome.seconds, outcome.note);
    case StopOutcome::How::killed:
      return fmt::format("killed with SIGKILL after {:.1f} s ({})", outcome.seconds, outcome.note);
  }
  return "";
}

}  // namespace trustnet::launcher
