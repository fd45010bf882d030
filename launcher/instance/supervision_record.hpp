#pragma once
// What an instance's supervised runs (`launch run NAME`, under systemd or supervise-daemon) have
// been, kept beside its disks so that `launch status` can say it: how often it was started again
// after a failure, why the last failure happened, since when it is up. Written by the run
// (atomically, 0600); read by anyone who may read the state folder.
#include <cstdint>
#include <optional>
#include <string>

#include "launcher/instance/instance_paths.hpp"

namespace trustnet::launcher {

struct SupervisionRecord {
  int restarts = 0;          // runs started after one that failed, since the last clean stop
  std::string last_failure;  // why the last failed run ended: "QEMU was killed by signal 9", "the guest panicked", …
  int64_t last_failure_at = 0;  // epoch seconds, 0 when none
  int64_t up_since = 0;         // epoch seconds when the current run reached `up`; 0 when it has not
  bool running = false;         // a run is under way (or was killed before it could say how it ended)
};

// Nothing when there is no record; a damaged one reads as none (it only informs).
std::optional<SupervisionRecord> read_supervision_record(const InstancePaths& paths);
void write_supervision_record(const InstancePaths& paths, const SupervisionRecord& record);

}  // namespace trustnet::launcher
