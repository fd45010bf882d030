#include "common/util/interrupt.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/util/error.hpp"
#include "common/util/text_values.hpp"

namespace trustnet::interrupt {
namespace {

std::atomic<int> received{0};
std::atomic<bool> stopped{false};
std::mutex stop_mutex;
std::string stop_reason;  // written once, under stop_mutex, before `stopped` is set
int wake_pipe[2] = {-1, -1};

void on_signal(int signo) {
  int expected = 0;
  received.compare_exchange_strong(expected, signo);
  unsigned char byte = static_cast<unsigned char>(signo);
  // write() is async-signal-safe; the watcher thread does the real work.
  [[maybe_unused]] ssize_t n = ::write(wake_pipe[1], &byte, 1);
}

// The parent pid is the 4th field of /proc/PID/stat, after the parenthesised command name.
pid_t parent_of(const std::string& pid) {
  std::ifstream stat("/proc/" + pid + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return -1;
  auto close = line.rfind(')');
  if (close == std::string::npos) return -1;
  char state = 0;
  int ppid = -1;
  if (std::sscanf(line.c_str() + close + 1, " %c %d", &state, &ppid) != 2) return -1;
  return ppid;
}

std::vector<pid_t> children() {
  std::vector<pid_t> found;
  const pid_t self = ::getpid();
  DIR* proc = ::opendir("/proc");
  if (!proc) return found;
  while (dirent* entry = ::readdir(proc)) {
    std::string name = entry->d_name;
    if (!is_decimal(name)) continue;
    if (parent_of(name) == self) found.push_back(static_cast<pid_t>(std::stol(name)));
  }
  ::closedir(proc);
  return found;
}

void stop_children(int signo) {
  for (const pid_t child : children()) ::kill(child, signo);
}

void watch() {
  unsigned char byte = 0;
  while (::read(wake_pipe[0], &byte, 1) == 1) {
    stop_children(SIGTERM);
    // A child that ignores SIGTERM must not outlive us.
    std::this_thread::sleep_for(std::chrono::seconds(5));
    stop_children(SIGKILL);
  }
}

}  // namespace

void install() {
  static std::mutex install_mutex;
  static bool installed = false;
  std::lock_guard lock(install_mutex);
  if (installed) return;
  if (::pipe2(wake_pipe, O_CLOEXEC) != 0) throw Error("cannot create the signal pipe");
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  if (::sigaction(SIGINT, &action, nullptr) != 0 || ::sigaction(SIGTERM, &action, nullptr) != 0)
    throw Error("cannot install signal handlers");
  std::thread(watch).detach();
  installed = true;
}

void stop_work(const std::string& reason) {
  install();
  {
    std::lock_guard lock(stop_mutex);
    if (stopped.load() || received.load()) return;
    stop_reason = reason;
    stopped.store(true);
  }
  unsigned char byte = 0;
  if (::write(wake_pipe[1], &byte, 1) != 1) throw Error("cannot wake the thread that stops child processes");
}

bool requested() { return received.load() != 0 || stopped.load(); }
int signal_number() { return received.load(); }

void throw_if_requested() {
  if (int signo = received.load())
    throw Error(fmt::format("interrupted by {}", signo == SIGINT    ? "SIGINT"
                                                 : signo == SIGTERM ? "SIGTERM"
                                                                    : std::to_string(signo)),
                ExitCode::interrupted);
  if (stopped.load()) {
    std::lock_guard lock(stop_mutex);
    throw Error(stop_reason);
  }
}

void reap_children(std::chrono::milliseconds grace) {
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (true) {
    const std::vector<pid_t> left = children();
    if (left.empty()) return;
    const bool late = std::chrono::steady_clock::now() >= deadline;
    for (const pid_t child : left) {
      if (late) ::kill(child, SIGKILL);
      ::waitpid(child, nullptr, late ? 0 : WNOHANG);
    }
    if (late) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace trustnet::interrupt
