#include "launcher/run/config_choice.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/handles/unique_fd.hpp"
#include "common/util/error.hpp"
#include "common/util/private_folder.hpp"
#include "launcher/config/config_location.hpp"

namespace trustnet::launcher {
namespace fs = std::filesystem;

void ConfigChoice::add_to(CLI::App& command) {
  command.add_option("--config", file,
                     "launcher configuration (default: $TRUSTNET_CONFIG, else launcher/trustnet.yaml "
                     "in a checkout unless run as root, else " +
                         install_paths::launch_config().string() + ")");
  command.add_option("--state", state, "the state folder (default: the configuration's state:)");
  command.add_flag("-v,--verbose", verbose, "say which configuration and state folder are used, and as whom");
}

LaunchConfig ConfigChoice::load_unchecked() const {
  const FoundPlace found = locate_launch_config(file, std::getenv("TRUSTNET_CONFIG"), ::geteuid() == 0);
  // What it names (the run user, the state folder) root acts on: only root's or the caller's.
  if (auto problem = untrusted_file(found.path, "launcher configuration")) throw Error(*problem, ExitCode::bad_input);
  LaunchConfig config = load_launch_config(found.path);
  if (!state.empty()) {
    const fs::path chosen = fs::absolute(state).lexically_normal();
    if (config.pull.cache == config.state_dir / "cache") config.pull.cache = chosen / "cache";
    config.state_dir = chosen;
  }
  if (verbose)
    fmt::print(stderr, "launch: configuration {} (from {}), state folder {}{}\n", found.path.string(), found.source,
               config.state_dir.string(), state.empty() ? "" : " (from --state)");
  return config;
}

LaunchConfig ConfigChoice::load(StateUse use, const std::function<void(LaunchConfig&)>& as_caller) const {
  LaunchConfig config = load_unchecked();
  if (as_caller) as_caller(config);
  const uid_t owner = become_run_user(config, use);
  if (verbose) fmt::print(stderr, "launch: running as {} (uid {})\n", account_name(::geteuid()), ::geteuid());
  if (fs::exists(config.state_dir)) check_private_tree(config.state_dir, kSecretsPurpose, owner);
  return config;
}

std::string ConfigChoice::as_run_user(StateUse use, const std::function<std::string(const LaunchConfig&)>& work) const {
  if (::geteuid() != 0) return work(load(use));
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw Error(fmt::format("cannot make a pipe: {}", std::strerror(errno)));
  UniqueFd from_child(pipe_fds[0]), to_parent(pipe_fds[1]);
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t child = ::fork();
  if (child < 0) throw Error(fmt::format("cannot start the run user's part: {}", std::strerror(errno)));
  if (child == 0) {
    from_child.reset();
    // "ok" or "error CODE", a newline, then the answer or the error's line.
    std::string answer;
    try {
      answer = "ok\n" + work(load(use));
    } catch (const Error& e) {
      answer = fmt::format("error {}\n{}", static_cast<int>(e.exit_code()), e.line());
    } catch (const std::exception& e) {
      answer = fmt::format("error 1\n{}", e.what());
    }
    for (size_t sent = 0; sent < answer.size();) {
      const ssize_t n = ::write(to_parent.get(), answer.data() + sent, answer.size() - sent);
      if (n <= 0) ::_exit(1);
      sent += static_cast<size_t>(n);
    }
    ::_exit(0);
  }
  to_parent.reset();
  std::string answer;
  char buffer[65536];
  for (ssize_t n; (n = ::read(from_child.get(), buffer, sizeof buffer)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || answer.size() > (64u << 20)) break;  // bounded: domain definitions are small
    answer.append(buffer, static_cast<size_t>(n));
  }
  from_child.reset();  // a child still writing gets EPIPE and ends: the wait below cannot hang
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (answer.starts_with("ok\n")) return answer.substr(3);
  if (answer.starts_with("error ") && answer.find('\n') != std::string::npos) {
    const int code = std::atoi(answer.c_str() + 6);
    const ExitCode exit = code == static_cast<int>(ExitCode::bad_input)     ? ExitCode::bad_input
                          : code == static_cast<int>(ExitCode::interrupted) ? ExitCode::interrupted
                                                                            : ExitCode::failure;
    throw Error(answer.substr(answer.find('\n') + 1), exit);
  }
  throw Error("the run user's part ended without an answer");
}

std::optional<std::pair<uid_t, gid_t>> sudo_caller() {
  const char* uid = std::getenv("SUDO_UID");
  const char* gid = std::getenv("SUDO_GID");
  if (::geteuid() != 0 || !uid || !gid) return std::nullopt;
  char* end = nullptr;
  const unsigned long u = std::strtoul(uid, &end, 10);
  if (*uid == '\0' || *end != '\0') return std::nullopt;
  const unsigned long g = std::strtoul(gid, &end, 10);
  if (*gid == '\0' || *end != '\0') return std::nullopt;
  return std::pair(static_cast<uid_t>(u), static_cast<gid_t>(g));
}

void ConfigChoice::read_pull_login(LaunchConfig& config) {
  config.pull.login = load_registry_credentials(config.pull.credentials);
}

}  // namespace trustnet::launcher
