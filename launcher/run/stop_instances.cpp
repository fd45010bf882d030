#include "launcher/run/stop_instances.hpp"

#include "common/util/parallel_tasks.hpp"
#include "launcher/instance/stop_request.hpp"

namespace trustnet::launcher {

std::vector<StoppedInstance> stop_instances(InstanceHost& host, const LaunchConfig& config,
                                            const std::vector<InstanceConfig>& instances,
                                            std::chrono::milliseconds power_down_timeout) {
  return parallel_map(instances, [&host, &config, power_down_timeout](const InstanceConfig& instance) {
    const InstancePaths paths = InstancePaths::in(config.state_dir, instance.identity.name);
    const StopRequest request(paths);  // a `launch run` watching it takes what follows for the stop
    return StoppedInstance{instance.identity.name, host.stop_qemu(paths, power_down_timeout)};
  });
}

}  // namespace trustnet::launcher
