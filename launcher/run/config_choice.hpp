#pragma once
// --config and -v, which every `launch` subcommand takes, declared once: which configuration
// runs, and loading it (with the state folder's privacy checked) when the subcommand runs.
#include <CLI/CLI.hpp>
#include <filesystem>

#include "launcher/config/launch_config.hpp"

namespace trustnet::launcher {

struct ConfigChoice {
  std::filesystem::path file;  // empty: $TRUSTNET_CONFIG, a checkout's, else the installed one
  bool verbose = false;

  void add_to(CLI::App& command);
  // The configuration; -v says where it and its state folder are. A state folder that someone
  // else could write is refused, whatever the command (init creates it).
  LaunchConfig load() const;
  // Without the state folder check, for what reads the configuration only.
  LaunchConfig load_unchecked() const;
};

}  // namespace trustnet::launcher
