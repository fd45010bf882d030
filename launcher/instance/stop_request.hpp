#pragma once
// `launch stop` says, for the while it powers an instance down, that it does: `launch run`, which
// watches the same instance, then takes the guest falling silent and QEMU ending for the stop they
// are (exit 0), not for a hang or a crash to be restarted. A unit's ExecStop runs while its main
// process, `launch run`, still watches.
#include "launcher/instance/instance_paths.hpp"

namespace trustnet::launcher {

// Made when the power-down begins, removed when it is over, however it ends.
class StopRequest {
 public:
  explicit StopRequest(const InstancePaths& paths);
  ~StopRequest();
  StopRequest(const StopRequest&) = delete;
  StopRequest& operator=(const StopRequest&) = delete;

 private:
  std::filesystem::path file_;
};

// A stop is under way: its request is there, and younger than any stop lasts.
bool stop_requested(const InstancePaths& paths);

// A request left by a stop that was itself killed: cleared when a new run begins.
void clear_stop_request(const InstancePaths& paths);

}  // namespace trustnet::launcher
