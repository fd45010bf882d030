#include "launcher/instance/instance_runtime.hpp"

#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace trustnet::launcher {
namespace fs = std::filesystem;

RunState classify_run_state(std::optional<pid_t> pid_in_file, bool process_alive, bool process_is_this_instance) {
  if (!pid_in_file) return RunState::stopped;
  return process_alive && process_is_this_instance ? RunState::running : RunState::stale;
}

bool process_alive(pid_t pid) {
  if (pid <= 0 || (::kill(pid, 0) != 0 && errno != EPERM)) return false;
  // A zombie has ended; whoever reaps it (init, outside the launcher's reach) may be slow to.
  std::ifstream stat(fs::path("/proc") / std::to_string(pid) / "stat");
  std::string line;
  std::getline(stat, line);
  const size_t close = line.rfind(')');
  return close == std::string::npos || close + 2 >= line.size() || line[close + 2] != 'Z';
}

namespace {

std::optional<pid_t> read_pid(const fs::path& file) {
  std::ifstream in(file);
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return in.is_open() ? std::optional<pid_t>(0) : std::nullopt;
  return static_cast<pid_t>(pid);
}

// A recycled pid belongs to another program: QEMU of this instance names its pid file in argv.
bool is_instance_process(pid_t pid, const fs::path& pid_file) {
  std::ifstream in(fs::path("/proc") / std::to_string(pid) / "cmdline", std::ios::binary);
  const std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return cmdline.find("qemu-system-") != std::string::npos && cmdline.find(pid_file.string()) != std::string::npos;
}

}  // namespace

Runtime inspect_runtime(const InstancePaths& paths) {
  Runtime runtime;
  const auto pid = read_pid(paths.pid_file);
  const bool alive = pid && process_alive(*pid);
  runtime.state = classify_run_state(pid, alive, alive && is_instance_process(*pid, paths.pid_file));
  if (runtime.state == RunState::running) {
    runtime.pid = *pid;
    struct stat written {};
    if (::stat(paths.pid_file.c_str(), &written) == 0)
      runtime.started =
          std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
              std::chrono::seconds(written.st_mtim.tv_sec) + std::chrono::nanoseconds(written.st_mtim.tv_nsec)));
  }
  return runtime;
}

void remove_runtime_files(const InstancePaths& paths) {
  std::error_code ignored;  // either may be gone already
  fs::remove(paths.pid_file, ignored);
  fs::remove(paths.qmp_socket, ignored);
  fs::remove(paths.health_record, ignored);
}

}  // namespace trustnet::launcher
