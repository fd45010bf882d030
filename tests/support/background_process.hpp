#pragma once
// A child process for tests that must act while it runs (signals, concurrent runs).
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "common/util/text_file.hpp"

namespace trustnet::test {

class BackgroundProcess {
 public:
  BackgroundProcess(const std::vector<std::string>& argv, const std::filesystem::path& stderr_file)
      : stderr_file_(stderr_file) {
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 2);
      ::dup2(fd, 1);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execvp(args[0], args.data());
      ::_exit(127);
    }
  }
  ~BackgroundProcess() {
    if (pid_ > 0 && status_ < 0) {
      ::kill(pid_, SIGKILL);
      wait();
    }
  }

  pid_t pid() const { return pid_; }
  std::string output() const { return std::filesystem::exists(stderr_file_) ? read_text_file(stderr_file_) : ""; }

  // Polls until `text` appears in the output or the process ends; bounded by `timeout`.
  bool wait_for_output(const std::string& text, std::chrono::seconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (output().find(text) != std::string::npos) return true;
      if (exited()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return false;
  }

  void signal(int signo) { ::kill(pid_, signo); }

  bool exited() {
    if (status_ >= 0) return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return true;
    }
    return false;
  }

  int wait() {
    if (status_ >= 0) return status_;
    int status = 0;
    ::waitpid(pid_, &status, 0);
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return status_;
  }

 private:
  std::filesystem::path stderr_file_;
  pid_t pid_ = -1;
  int status_ = -1;
};

// Processes whose command line mentions `text` (to find a leftover QEMU by its disk path).
// The parent of process `pid` (from /proc/PID/stat), or -1 when it is gone.
inline pid_t parent_of(pid_t pid) {
  std::string stat;
  try {
    stat = read_text_file("/proc/" + std::to_string(pid) + "/stat");
  } catch (...) {
    return -1;
  }
  const size_t close = stat.rfind(')');  // the command name may hold spaces and parentheses
  if (close == std::string::npos || close + 4 >= stat.size()) return -1;
  return static_cast<pid_t>(std::stol(stat.substr(close + 4)));  // ") S PPID"
}

// Every live descendant of `root` (children, theirs, …), from /proc.
inline std::vector<pid_t> descendants_of(pid_t root) {
  std::vector<std::pair<pid_t, pid_t>> links;  // (pid, parent)
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = std::stoi(name);
    if (const pid_t parent = parent_of(pid); parent > 0) links.emplace_back(pid, parent);
  }
  std::vector<pid_t> found{root};
  for (size_t i = 0; i < found.size(); ++i)
    for (const auto& [pid, parent] : links)
      if (parent == found[i]) found.push_back(pid);
  found.erase(found.begin());
  return found;
}

// Makes this process the reaper of its orphaned descendants (prctl PR_SET_CHILD_SUBREAPER): a
// process a child left behind becomes ours, so that a test sees it and can wait for it.
inline void become_child_subreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 1); }

// Waits (bounded) until none of `pids` is alive, reaping those that became our children; returns
// the ones still alive at the end.
inline std::vector<pid_t> wait_until_gone(std::vector<pid_t> pids, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    std::vector<pid_t> alive;
    for (const pid_t pid : pids) {
      ::waitpid(pid, nullptr, WNOHANG);  // ours now if its parent died first
      if (::kill(pid, 0) == 0) alive.push_back(pid);
    }
    if (alive.empty() || std::chrono::steady_clock::now() >= deadline) return alive;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    pids = alive;
  }
}

inline std::vector<pid_t> processes_mentioning(const std::string& text) {
  std::vector<pid_t> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline;
    try {
      cmdline = read_text_file(entry.path() / "cmdline");
    } catch (...) {
      continue;
    }
    for (auto& c : cmdline)
      if (c == '\0') c = ' ';
    if (cmdline.find(text) != std::string::npos && std::stoi(name) != ::getpid()) found.push_back(std::stoi(name));
  }
  return found;
}

}  // namespace trustnet::test
