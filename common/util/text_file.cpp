#include "common/util/text_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/handles/unique_fd.hpp"
#include "common/util/error.hpp"

namespace trustnet {

namespace {

std::string read_open_file(const std::filesystem::path& file, const UniqueFd& fd, const struct stat& facts,
                           uint64_t limit) {
  if (!S_ISREG(facts.st_mode)) throw Error(fmt::format("{} is not a regular file", file.string()), ExitCode::bad_input);
  if (static_cast<uint64_t>(facts.st_size) > limit)
    throw Error(fmt::format("{} is {} bytes, more than the {} a file of its kind may hold", file.string(),
                            facts.st_size, limit),
                ExitCode::bad_input);
  std::string content;
  content.resize(static_cast<size_t>(facts.st_size));
  size_t done = 0;
  while (true) {
    if (done == content.size()) {
      if (content.size() >= limit + 1) break;
      content.resize(std::min<uint64_t>(limit + 1, content.size() + 4096));  // a file that grew meanwhile
    }
    const ssize_t n = ::read(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error(fmt::format("cannot read {}: {}", file.string(), std::strerror(errno)));
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  if (done > limit)
    throw Error(fmt::format("{} is more than the {} bytes a file of its kind may hold", file.string(), limit),
                ExitCode::bad_input);
  content.resize(done);
  return content;
}

UniqueFd open_for_reading(const std::filesystem::path& file, int flags) {
  // O_NONBLOCK: opening a FIFO with no writer must not wait; the regular-file check refuses it.
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | flags));
  if (!fd.valid()) {
    if (errno == ELOOP && (flags & O_NOFOLLOW))
      throw Error(fmt::format("{} is a symbolic link; a secret must be a file of its own", file.string()),
                  ExitCode::bad_input);
    throw Error(fmt::format("cannot read {}: {}", file.string(), std::strerror(errno)));
  }
  return fd;
}

struct stat facts_of(const std::filesystem::path& file, const UniqueFd& fd) {
  struct stat facts {};
  if (::fstat(fd.get(), &facts) != 0)
    throw Error(fmt::format("cannot read {}: {}", file.string(), std::strerror(errno)));
  return facts;
}

}  // namespace

std::string read_text_file(const std::filesystem::path& file, uint64_t limit) {
  const UniqueFd fd = open_for_reading(file, 0);
  return read_open_file(file, fd, facts_of(file, fd), limit);
}

std::string read_secret_file(const std::filesystem::path& file, uint64_t limit) {
  const UniqueFd fd = open_for_reading(file, O_NOFOLLOW);
  const struct stat facts = facts_of(file, fd);
  if (S_ISREG(facts.st_mode) && facts.st_uid != ::geteuid())
    throw Error(fmt::format("{} is owned by uid {}, not by you (uid {}); a secret must be yours alone", file.string(),
                            facts.st_uid, ::geteuid()),
                ExitCode::bad_input);
  if (S_ISREG(facts.st_mode) && (facts.st_mode & 077) != 0)
    throw Error(fmt::format("{} is open to its group or others (mode {:04o}); a secret must be 0600", file.string(),
                            facts.st_mode & 07777),
                ExitCode::bad_input);
  return read_open_file(file, fd, facts, limit);
}

}  // namespace trustnet
