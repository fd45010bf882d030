#pragma once
// --config, --state and -v, which every `launch` subcommand takes, declared once: which
// configuration runs, and loading it when the subcommand runs: as the account that keeps the
// state folder (run_user.hpp), with the state folder's privacy checked.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "launcher/config/launch_config.hpp"
#include "launcher/run/run_user.hpp"

namespace trustnet::launcher {

struct ConfigChoice {
  std::filesystem::path file;   // empty: $TRUSTNET_CONFIG, a checkout's, else the installed one
  std::filesystem::path state;  // empty: the configuration's
  bool verbose = false;

  void add_to(CLI::App& command);
  // The configuration, for a command that uses the state folder: launch becomes the run user
  // when root, and a state folder someone else could write is refused. -v says where the
  // configuration and the state folder are.
  // `as_caller` runs before that, with the caller's rights (to read a secret of root's).
  LaunchConfig load(StateUse use, const std::function<void(LaunchConfig&)>& as_caller = {}) const;
  // An `as_caller` for commands that pull: the registry login (pull.credentials, else the
  // environment) into config.pull.login.
  static void read_pull_login(LaunchConfig& config);
  // Without the run user or the state folder, for what reads the configuration only (`launch
  // network`, completion).
  LaunchConfig load_unchecked() const;
  // For a command whose files the caller asked for (`launch export --out`): as root, `work` runs
  // with the configuration load(use) gives, in a child process that became the run user, and its
  // answer comes back to the caller, who keeps its own rights to write where it was asked: the
  // run user gets no right to write there. Not root: in this process.
  std::string as_run_user(StateUse use, const std::function<std::string(const LaunchConfig&)>& work) const;
};

// The account that asked root for files (sudo's SUDO_UID and SUDO_GID), to give them to;
// nothing when root was not reached through sudo.
std::optional<std::pair<uid_t, gid_t>> sudo_caller();

}  // namespace trustnet::launcher
