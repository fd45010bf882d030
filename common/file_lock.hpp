#pragma once
// An exclusive advisory lock (flock) held for the lifetime of the object.
#include <filesystem>
#include <optional>

#include "common/unique_fd.hpp"

namespace trustnet {

class FileLock {
 public:
  // Returns nothing when another process holds the lock; never waits.
  static std::optional<FileLock> try_acquire(const std::filesystem::path& lock_file);
  // Waits for the lock, checking for SIGINT/SIGTERM while it waits.
  static FileLock acquire(const std::filesystem::path& lock_file);

 private:
  explicit FileLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;  // closing the descriptor releases the lock
};

}  // namespace trustnet
