#include "common/util/file_lock.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "common/util/error.hpp"
#include "common/util/interrupt.hpp"

namespace trustnet {

std::optional<FileLock> FileLock::try_acquire(const std::filesystem::path& lock_file, const std::string& holder) {
  // Never through a link planted in place of the lock file.
  UniqueFd fd(::open(lock_file.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) throw Error(fmt::format("cannot open lock file {}: {}", lock_file.string(), std::strerror(errno)));
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) return std::nullopt;
    throw Error(fmt::format("cannot lock {}: {}", lock_file.string(), std::strerror(errno)));
  }
  if (!holder.empty()) {
    const std::string text = fmt::format("{} (pid {})\n", holder, ::getpid());
    if (::ftruncate(fd.get(), 0) != 0 ||
        ::pwrite(fd.get(), text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()))
      throw Error(fmt::format("cannot write lock file {}: {}", lock_file.string(), std::strerror(errno)));
  }
  return FileLock(std::move(fd), !holder.empty());
}

FileLock::~FileLock() {
  if (named_ && fd_.valid() && ::ftruncate(fd_.get(), 0) != 0) {
    // Nothing to do: the lock is released when the descriptor closes, whatever the text says.
  }
}

std::optional<FileLock> FileLock::acquire_until(const std::filesystem::path& lock_file, const std::string& holder,
                                                std::optional<std::chrono::steady_clock::time_point> deadline) {
  while (true) {
    if (auto lock = try_acquire(lock_file, holder)) return lock;
    if (deadline && std::chrono::steady_clock::now() >= *deadline) return std::nullopt;
    interrupt::throw_if_requested();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

FileLock FileLock::acquire(const std::filesystem::path& lock_file, const std::string& holder) {
  return std::move(*acquire_until(lock_file, holder, std::nullopt));
}

std::string FileLock::holder(const std::filesystem::path& lock_file) {
  UniqueFd fd(::open(lock_file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return "";
  char text[256];
  const ssize_t n = ::read(fd.get(), text, sizeof(text) - 1);
  if (n <= 0) return "";
  std::string holder(text, static_cast<size_t>(n));
  while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\r')) holder.pop_back();
  // Only a plain line is repeated in a message.
  for (char c : holder)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return "";
  return holder;
}

FileLock lock_or_refuse(const std::filesystem::path& lock_file, const std::string& holder, const std::string& what) {
  if (auto lock = FileLock::try_acquire(lock_file, holder)) return std::move(*lock);
  // The holder writes its name just after it takes the lock: give it a moment to.
  std::string other = FileLock::holder(lock_file);
  for (int i = 0; i < 20 && other.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    other = FileLock::holder(lock_file);
  }
  throw Error(
      fmt::format("{} is busy: {} is running; wait for it to finish", what, other.empty() ? "another process" : other));
}

FileLock lock_within(const std::filesystem::path& lock_file, const std::string& holder, const std::string& what,
                     std::chrono::milliseconds patience) {
  if (auto lock = FileLock::acquire_until(lock_file, holder, std::chrono::steady_clock::now() + patience))
    return std::move(*lock);
  return lock_or_refuse(lock_file, holder, what);
}

}  // namespace trustnet
