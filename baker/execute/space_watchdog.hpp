#pragma once
// QEMU pauses a guest whose disk write fails with ENOSPC (its default werror=enospc) instead of
// failing the write, so a filesystem that fills up during a bake would hang the libguestfs call
// for good. The watchdog watches the free space of the output folder while the appliance runs;
// when it stays used up and still, it stops the work (interrupt::stop_work) with a reason that
// names the folder and the space the bake needs.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace trustnet::baker {

// Bytes the caller may still write on the filesystem of `folder` (root may use reserved blocks).
uint64_t writable_bytes(const std::filesystem::path& folder);

// Refuses to start work that needs `needed_bytes` in `folder` when less is free; `made_of` says
// what the space is for.
void require_free_space(const std::filesystem::path& folder, uint64_t needed_bytes, const std::string& needed_for,
                        const std::string& made_of);

// Decides from successive free-space samples whether writing has stalled on a full filesystem:
// `samples` readings in a row below `full_below`, all equal (nothing is being written any more).
class StallDetector {
 public:
  StallDetector(uint64_t full_below, int samples) : full_below_(full_below), samples_(samples) {}
  bool add(uint64_t free_bytes);  // true once stalled

 private:
  uint64_t full_below_;
  int samples_;
  int run_ = 0;
  uint64_t last_ = 0;
};

std::string full_filesystem_message(const std::filesystem::path& folder, uint64_t free_bytes, uint64_t needed_bytes);

class SpaceWatchdog {
 public:
  static constexpr uint64_t kFullBelow = 1ULL << 20;  // less than a qcow2 cluster run: nothing fits

  struct Options {
    std::chrono::milliseconds interval{1000};
    int samples = 3;
    std::function<void(const std::string&)> on_stall;  // default: interrupt::stop_work
  };

  SpaceWatchdog(std::filesystem::path folder, uint64_t needed_bytes);
  SpaceWatchdog(std::filesystem::path folder, uint64_t needed_bytes, Options options);
  ~SpaceWatchdog();
  SpaceWatchdog(const SpaceWatchdog&) = delete;
  SpaceWatchdog& operator=(const SpaceWatchdog&) = delete;

  // After a failure: when the filesystem is full now, the full filesystem is the news; throws it.
  void throw_if_full() const;

 private:
  void watch();

  std::filesystem::path folder_;
  uint64_t needed_bytes_;
  Options options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace trustnet::baker
