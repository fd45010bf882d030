#pragma once
// Whether an instance's QEMU is running, from its pid file and /proc.
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>

#include "launcher/instance/instance_paths.hpp"

namespace trustnet::launcher {

enum class RunState {
  stopped,  // no pid file
  running,  // the pid file names a live QEMU of this instance
  stale,    // a pid file whose process is gone, or is another program now
};

// Pure: the state from the pid file's content and what /proc says about that pid.
RunState classify_run_state(std::optional<pid_t> pid_in_file, bool process_alive, bool process_is_this_instance);

struct Runtime {
  RunState state = RunState::stopped;
  pid_t pid = 0;
  std::chrono::system_clock::time_point started;  // when the pid file was written
};

Runtime inspect_runtime(const InstancePaths& paths);
// Removes the pid file, the QMP socket and the health record; the disk, seed and logs stay.
void remove_runtime_files(const InstancePaths& paths);
bool process_alive(pid_t pid);

}  // namespace trustnet::launcher
