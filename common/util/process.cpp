#include "common/util/process.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string_view>

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

ProcessResult spawn_and_wait(const std::vector<std::string>& argv,
                             const std::map<std::string, std::string>& environment,
                             std::optional<std::string_view> input) {
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
  std::optional<Pipe> in;
  if (input) {
    // Written whole before the child starts, then closed: the child reads it, then end of file.
    if (input->size() > PIPE_BUF * 8) throw Error("run_process_with_input: the input is too large for a pipe");
    in = make_pipe();
    for (size_t done = 0; done < input->size();) {
      const ssize_t n = ::write(in->write_end.get(), input->data() + done, input->size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw Error(fmt::format("write to a pipe: {}", std::strerror(errno)));
      done += static_cast<size_t>(n);
    }
    in->write_end.reset();
    actions.dup(in->read_end.get(), STDIN_FILENO);
  }

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

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv) { return run_process_with_env(argv, {}); }

ProcessResult run_process_with_env(const std::vector<std::string>& argv,
                                   const std::map<std::string, std::string>& environment) {
  return spawn_and_wait(argv, environment, std::nullopt);
}

ProcessResult run_process_with_input(const std::vector<std::string>& argv, std::string_view input) {
  return spawn_and_wait(argv, {}, input);
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

namespace {

// The program's file, as execvp would find it, looked up before fork (the child may only make
// async-signal-safe calls).
std::string resolve_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string_view rest = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    const size_t colon = rest.find(':');
    const std::string folder(rest.substr(0, colon));
    const std::string candidate = (folder.empty() ? "." : folder) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  throw Error(fmt::format("cannot run {}: it is not installed (not found in PATH)", name));
}

bool read_all(int fd, void* data, size_t size) {
  auto* bytes = static_cast<char*>(data);
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, bytes + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

int spawn_detached(const std::vector<std::string>& argv, const std::filesystem::path& output) {
  if (argv.empty()) throw Error("spawn_detached: empty command");
  const std::string program = resolve_program(argv[0]);
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const UniqueFd input(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const UniqueFd log(::open(output.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!input.valid() || !log.valid())
    throw Error(fmt::format("cannot open {}: {}", input.valid() ? output.string() : "/dev/null", std::strerror(errno)));
  // The middle child reports the grandchild's pid; the grandchild reports only a failed exec
  // (the pipe closes on a successful one).
  Pipe pid_pipe = make_pipe(), exec_pipe = make_pipe();
  const pid_t child = ::fork();
  if (child < 0) throw Error(fmt::format("cannot start {}: fork: {}", argv[0], std::strerror(errno)));
  if (child == 0) {
    ::setsid();
    const pid_t grandchild = ::fork();
    if (grandchild == 0) {
      if (::dup2(input.get(), STDIN_FILENO) < 0 || ::dup2(log.get(), STDOUT_FILENO) < 0 ||
          ::dup2(log.get(), STDERR_FILENO) < 0)
        ::_exit(127);
      ::execve(program.c_str(), args.data(), environ);
      const int failure = errno;
      [[maybe_unused]] ssize_t ignored = ::write(exec_pipe.write_end.get(), &failure, sizeof failure);
      ::_exit(127);
    }
    [[maybe_unused]] ssize_t ignored = ::write(pid_pipe.write_end.get(), &grandchild, sizeof grandchild);
    ::_exit(grandchild < 0 ? 1 : 0);
  }
  pid_pipe.write_end.reset();
  exec_pipe.write_end.reset();
  pid_t grandchild = -1;
  const bool got_pid = read_all(pid_pipe.read_end.get(), &grandchild, sizeof grandchild);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (!got_pid || grandchild < 0) throw Error(fmt::format("cannot start {}: fork failed", argv[0]));
  int failure = 0;
  if (read_all(exec_pipe.read_end.get(), &failure, sizeof failure))
    throw Error(fmt::format("cannot run {}: {}", program, std::strerror(failure)));
  return grandchild;
}

std::string shell_quote(const std::string& word) {
  if (!word.empty() && word.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                              "0123456789_@%+=:,./-") == std::string::npos)
    return word;
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

void exec_program(std::vector<std::string> argv, const std::string& remedy) {
  std::fflush(stdout);
  std::vector<char*> args;
  for (auto& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);
  ::execvp(args[0], args.data());
  throw Error(fmt::format("cannot run {}: {}{}", argv[0], std::strerror(errno), remedy));
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
