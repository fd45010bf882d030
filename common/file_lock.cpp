#include "common/file_lock.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "common/error.hpp"
#include "common/interrupt.hpp"

namespace trustnet {

std::optional<FileLock> FileLock::try_acquire(const std::filesystem::path& lock_file) {
  UniqueFd fd(::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd.valid())
    throw Error(fmt::format("cannot open lock file {}: {}", lock_file.string(), std::strerror(errno)));
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) return std::nullopt;
    throw Error(fmt::format("cannot lock {}: {}", lock_file.string(), std::strerror(errno)));
  }
  return FileLock(std::move(fd));
}

FileLock FileLock::acquire(const std::filesystem::path& lock_file) {
  while (true) {
    if (auto lock = try_acquire(lock_file)) return std::move(*lock);
    interrupt::throw_if_requested();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace trustnet
