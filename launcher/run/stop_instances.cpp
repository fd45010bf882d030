#include "launcher/run/stop_instances.hpp"

#include <future>

namespace trustnet::launcher {

std::vector<StoppedInstance> stop_instances(const LaunchConfig& config, const std::vector<InstanceConfig>& instances,
                                            std::chrono::milliseconds power_down_timeout) {
  std::vector<std::future<StopOutcome>> stops;
  for (const auto& instance : instances)
    stops.push_back(std::async(std::launch::async, stop_qemu, InstancePaths::in(config.state_dir, instance.identity.name), power_down_timeout));
  std::vector<StoppedInstance> stopped;
  for (size_t i = 0; i < instances.size(); ++i) stopped.push_back({instances[i].identity.name, stops[i].get()});
  return stopped;
}

}  // namespace trustnet::launcher
