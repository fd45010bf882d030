#include "common/util/process.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/handles/unique_fd.hpp"
#include "common/util/error.hpp"

extern char** environ;

namespace trustnet {
namespace {

struct Pipe {
  UniqueFd read_end, write_end;
};

Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw Error(fmt::format("pipe: {}", std::strerror(errno)));
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

class SpawnActions {
 public:
  SpawnActions() {
    if (posix_spawn_file_actions_init(&actions_) != 0) throw Error("posix_spawn_file_actions_init failed");
  }
  ~SpawnActions() { posix_spawn_file_actions_destroy(&actions_); }
  void dup(int from, int to) {
    if (posix_spawn_file_actions_adddup2(&actions_, from, to) != 0)
      throw Error("posix_spawn_file_actions_adddup2 failed");
  }
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

void drain(Pipe& out, Pipe& err, ProcessResult& result) {
  pollfd fds[2] = {{out.read_end.get(), POLLIN, 0}, {err.read_end.get(), POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_count = 2;
  char buffer[65536];
  while (open_count > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      throw Error(fmt::format("poll: {}", std::strerror(errno)));
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open_count;
      }
    }
  }
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv) { return run_process_with_env(argv, {}); }

ProcessResult run_process_with_env(const std::vector<std::string>& argv,
                                   const std::map<std::string, std::string>& environment) {
  if (argv.empty()) throw Error("run_process: empty command");
  // This process's environment, with `environment` added or replacing: built only when asked.
  std::vector<std::string> variables;
  std::vector<char*> env;
  if (!environment.empty()) {
    for (char** variable = environ; *variable; ++variable) {
      const std::string entry = *variable;
      if (!environment.contains(entry.substr(0, entry.find('=')))) variables.push_back(entry);
    }
    for (const auto& [name, value] : environment) variables.push_back(name + "=" + value);
    for (auto& variable : variables) env.push_back(variable.data());
    env.push_back(nullptr);
  }
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);

  Pipe out = make_pipe(), err = make_pipe();
  SpawnActions actions;
  actions.dup(out.write_end.get(), STDOUT_FILENO);
  actions.dup(err.write_end.get(), STDERR_FILENO);

  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], actions.get(), nullptr, args.data(), env.empty() ? environ : env.data());
  if (rc != 0) throw Error(fmt::format("cannot run {}: {}", argv[0], std::strerror(rc)));
  out.write_end.reset();
  err.write_end.reset();

  ProcessResult result;
  drain(out, err, result);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw Error(fmt::format("waitpid {}: {}", argv[0], std::strerror(errno)));
  }
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string run_checked(const std::vector<std::string>& argv) { return run_checked_with_env(argv, {}); }

std::string run_checked_with_env(const std::vector<std::string>& argv,
                                 const std::map<std::string, std::string>& environment) {
  ProcessResult result = run_process_with_env(argv, environment);
  if (result.exit_status != 0) {
    std::string detail = result.err.empty() ? result.out : result.err;
    while (!detail.empty() && (detail.back() == '\n' || detail.back() == ' ')) detail.pop_back();
    throw Error(fmt::format("{} failed with status {}: {}", command_line(argv), result.exit_status, detail));
  }
  return result.out;
}

std::string shell_quote(const std::string& word) {
  if (!word.empty() && word.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                              "0123456789_@%+=:,./-") == std::string::npos)
    return word;
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string command_line(const std::vector<std::string>& argv) {
  std::string line;
  for (const auto& arg : argv) {
    if (!line.empty()) line += ' ';
    line += shell_quote(arg);
  }
  return line;
}

}  // namespace trustnet
