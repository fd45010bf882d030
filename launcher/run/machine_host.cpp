#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "launcher/run/instance_host.hpp"
#include "launcher/run/preflight.hpp"

namespace trustnet::launcher {
namespace fs = std::filesystem;

namespace {

class MachineHost final : public InstanceHost {
 public:
  HostFacts facts() override { return this_host(); }
  bool has_program(const std::string& program) override {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path ? path : "");
    for (std::string dir; std::getline(dirs, dir, ':');)
      if (!dir.empty() && ::access((fs::path(dir) / program).c_str(), X_OK) == 0) return true;
    return false;
  }
  bool loopback_port_free(int port) override { return launcher::loopback_port_free(port); }
  void require_network(const LaunchConfig& config, const std::vector<InstanceConfig>& instances) override {
    preflight_network(config, instances);
  }
  DiskIoChoice choose_disk_io(const std::string& name, const fs::path& disk) override {
    return choose_instance_disk_io(name, disk);
  }
  pid_t start_qemu(const std::string& name, const std::vector<std::string>& argv, const InstancePaths& paths) override {
    return launcher::start_qemu(name, argv, paths);
  }
  StopOutcome stop_qemu(const InstancePaths& paths, std::chrono::milliseconds power_down_timeout) override {
    return launcher::stop_qemu(paths, power_down_timeout);
  }
  Runtime runtime(const InstancePaths& paths) override { return inspect_runtime(paths); }
  std::optional<int> reap(pid_t pid) override {
    int status = 0;
    const pid_t ended = ::waitpid(pid, &status, WNOHANG);
    if (ended == pid) return status;
    if (ended == 0) return std::nullopt;
    return process_alive(pid) ? std::nullopt : std::optional<int>(-1);
  }
  void remove_runtime(const InstancePaths& paths) override { remove_runtime_files(paths); }
  Prober& prober() override { return network_prober(); }
  Clock& clock() override { return steady_time(); }
};

}  // namespace

InstanceHost& machine_host() {
  static MachineHost host;
  return host;
}

}  // namespace trustnet::launcher
