#pragma once
// Whether an instance's QEMU is running, from its pid file and /proc; and the phases an instance
// goes through while it boots, from what answers.
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>

#include "launcher/qemu/qemu_command.hpp"

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
// Removes the pid file and the QMP socket; the disk, seed and logs stay.
void remove_runtime_files(const InstancePaths& paths);
bool process_alive(pid_t pid);

// What answered in one round of health probes.
struct Answers {
  bool process = false, ping = false, ssh = false, service = false;
};

enum class Phase {
  stopped,    // not running
  booting,    // QEMU runs, nothing answers yet
  reachable,  // the guest answers on the bridge (ping or SSH) but not every service yet
  up,         // SSH and the role's service answer
  exited,     // QEMU was running and is gone
};

// Pure: the next phase from the previous one and the latest answers.
Phase next_phase(Phase previous, const Answers& answers);
std::string phase_name(Phase phase);

}  // namespace trustnet::launcher
