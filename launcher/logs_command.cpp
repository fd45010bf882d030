#include "launcher/logs_command.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "common/util/error.hpp"
#include "common/util/interrupt.hpp"
#include "launcher/instance/instance_runtime.hpp"
#include "launcher/run/preflight.hpp"

using namespace std::chrono_literals;

namespace trustnet::launcher {
namespace fs = std::filesystem;
namespace {

int run_logs(const LaunchConfig& config, const std::string& name, bool follow) {
  const auto instance = select_instances(config, name).at(0);
  const InstancePaths paths = InstancePaths::in(config.state_dir, instance.identity.name);
  std::ifstream log(paths.serial_log, std::ios::binary);
  if (!log)
    throw Error(
        fmt::format("{} has no console log yet ({}); it has not been started", name, paths.serial_log.string()));
  interrupt::install();
  std::string chunk(64 * 1024, '\0');
  for (;;) {
    while (log.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || log.gcount() > 0) {
      std::fwrite(chunk.data(), 1, static_cast<size_t>(log.gcount()), stdout);
      if (log.eof()) break;
    }
    std::fflush(stdout);
    if (!follow || interrupt::requested() || inspect_runtime(paths).state != RunState::running) return 0;
    log.clear();
    std::this_thread::sleep_for(250ms);
  }
}

}  // namespace

CommandRun declare_logs(CLI::App& command, ConfigChoice& config) {
  struct State {
    std::string name;
    bool follow = false;
  };
  auto state = std::make_shared<State>();
  command.add_option("name", state->name, "instance name")->required();
  command.add_flag("-f,--follow", state->follow, "keep printing while the instance runs");
  config.add_to(command);
  return [state, &config] { return run_logs(config.load(StateUse::read), state->name, state->follow); };
}

}  // namespace trustnet::launcher
