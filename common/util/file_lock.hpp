#pragma once
// An exclusive advisory lock (flock) held for the lifetime of the object. The lock file names its
// holder ("launch init (pid 4242)"), so that whoever finds it taken can say who has it.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "common/handles/unique_fd.hpp"

namespace trustnet {

class FileLock {
 public:
  FileLock(FileLock&&) noexcept = default;
  FileLock& operator=(FileLock&&) noexcept = default;
  // The holder's name goes with the lock (the file is emptied): a later reader never sees a stale one.
  ~FileLock();

  // Returns nothing when another process holds the lock; never waits. `holder` says who takes it.
  static std::optional<FileLock> try_acquire(const std::filesystem::path& lock_file, const std::string& holder = "");
  // Waits for the lock, checking for SIGINT/SIGTERM while it waits.
  static FileLock acquire(const std::filesystem::path& lock_file, const std::string& holder = "");
  // Waits for the lock until `deadline` (none: for good), checking for SIGINT/SIGTERM while it
  // waits; nothing when the deadline passed first.
  static std::optional<FileLock> acquire_until(const std::filesystem::path& lock_file, const std::string& holder,
                                               std::optional<std::chrono::steady_clock::time_point> deadline);
  // Who holds (or last held) the lock, as written by them; empty when unknown.
  static std::string holder(const std::filesystem::path& lock_file);

 private:
  explicit FileLock(UniqueFd fd, bool named) : fd_(std::move(fd)), named_(named) {}
  UniqueFd fd_;  // closing the descriptor releases the lock
  bool named_ = false;
};

// Takes `lock_file` for `holder`, or throws Error: "WHAT is busy: HOLDER is running; wait for it
// to finish" (exit status 1: trying again later is the remedy).
FileLock lock_or_refuse(const std::filesystem::path& lock_file, const std::string& holder, const std::string& what);

// As lock_or_refuse, after waiting up to `patience` for the holder to finish (SIGINT and SIGTERM
// end the wait): for what a service manager starts side by side with others of its kind.
FileLock lock_within(const std::filesystem::path& lock_file, const std::string& holder, const std::string& what,
                     std::chrono::milliseconds patience);

}  // namespace trustnet
