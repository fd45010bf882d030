#include "baker/execute/space_watchdog.hpp"

#include <fmt/format.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstring>

#include "common/transfer/transfer_display.hpp"
#include "common/util/error.hpp"
#include "common/util/interrupt.hpp"

namespace trustnet::baker {
namespace fs = std::filesystem;

uint64_t writable_bytes(const fs::path& folder) {
  struct statvfs info {};
  if (::statvfs(folder.c_str(), &info) != 0)
    throw Error(fmt::format("cannot read the free space of {}: {}", folder.string(), std::strerror(errno)));
  const uint64_t blocks = ::geteuid() == 0 ? info.f_bfree : info.f_bavail;
  return blocks * info.f_frsize;
}

bool StallDetector::add(uint64_t free_bytes) {
  if (free_bytes >= full_below_) {
    run_ = 0;
    return false;
  }
  run_ = run_ > 0 && free_bytes == last_ ? run_ + 1 : 1;
  last_ = free_bytes;
  return run_ >= samples_;
}

std::string full_filesystem_message(const fs::path& folder, uint64_t free_bytes, uint64_t needed_bytes) {
  return fmt::format(
      "the filesystem of {} is full ({} free) and the bake cannot write there; it needs about {} free: free some "
      "space or bake with --out elsewhere",
      folder.string(), format_bytes(free_bytes), format_bytes(needed_bytes));
}

SpaceWatchdog::SpaceWatchdog(fs::path folder, uint64_t needed_bytes)
    : SpaceWatchdog(std::move(folder), needed_bytes, Options{}) {}

SpaceWatchdog::SpaceWatchdog(fs::path folder, uint64_t needed_bytes, Options options)
    : folder_(std::move(folder)), needed_bytes_(needed_bytes), options_(std::move(options)) {
  if (!options_.on_stall) options_.on_stall = [](const std::string& reason) { interrupt::stop_work(reason); };
  writable_bytes(folder_);  // an unreadable folder is an error now, not in the thread
  thread_ = std::thread([this] { watch(); });
}

SpaceWatchdog::~SpaceWatchdog() {
  {
    std::lock_guard lock(mutex_);
    done_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void SpaceWatchdog::watch() {
  StallDetector detector(kFullBelow, options_.samples);
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, options_.interval, [this] { return done_; })) {
    uint64_t free_bytes = 0;
    try {
      free_bytes = writable_bytes(folder_);
    } catch (const Error&) {
      continue;  // the folder is the bake's to keep; a failed sample proves nothing
    }
    if (detector.add(free_bytes)) {
      options_.on_stall(full_filesystem_message(folder_, free_bytes, needed_bytes_));
      return;
    }
  }
}

void require_free_space(const fs::path& folder, uint64_t needed_bytes, const std::string& needed_for,
                        const std::string& made_of) {
  const uint64_t available = writable_bytes(folder);
  if (available < needed_bytes)
    throw Error(fmt::format("{} has {} free, but {} needs about {} ({}); free some space or bake with --out elsewhere",
                            folder.string(), format_bytes(available), needed_for, format_bytes(needed_bytes), made_of),
                ExitCode::bad_input);
}

void SpaceWatchdog::throw_if_full() const {
  const uint64_t free_bytes = writable_bytes(folder_);
  if (free_bytes < kFullBelow) throw Error(full_filesystem_message(folder_, free_bytes, needed_bytes_));
}

}  // namespace trustnet::baker
