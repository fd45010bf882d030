#include "common/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace trustnet {
namespace fs = std::filesystem;

namespace {

std::string errno_text() { return std::strerror(errno); }

void sync_path(const fs::path& path, int flags) {
  UniqueFd fd(::open(path.c_str(), flags | O_CLOEXEC));
  if (!fd.valid()) throw Error(fmt::format("cannot open {}: {}", path.string(), errno_text()));
  if (::fsync(fd.get()) != 0)
    throw Error(fmt::format("cannot sync {}: {}", path.string(), errno_text()));
}

fs::path parent_or_dot(const fs::path& path) {
  return path.has_parent_path() ? path.parent_path() : fs::path(".");
}

}  // namespace

TemporaryPath::TemporaryPath(fs::path final_path) : final_(std::move(final_path)) {
  temporary_ = parent_or_dot(final_) /
               fmt::format(".{}.tmp-{}", final_.filename().string(), static_cast<long>(::getpid()));
}

TemporaryPath::~TemporaryPath() {
  if (!committed_) {
    std::error_code ignored;
    fs::remove(temporary_, ignored);
  }
}

void TemporaryPath::commit() {
  sync_path(temporary_, O_RDONLY);
  if (::rename(temporary_.c_str(), final_.c_str()) != 0)
    throw Error(fmt::format("cannot rename {} to {}: {}", temporary_.string(), final_.string(),
                            errno_text()));
  committed_ = true;
  sync_path(parent_or_dot(final_), O_RDONLY | O_DIRECTORY);
}

void write_file_atomically(const fs::path& target, std::string_view content, fs::perms mode) {
  TemporaryPath temporary(target);
  {
    UniqueFd fd(::open(temporary.path().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                       static_cast<mode_t>(mode)));
    if (!fd.valid())
      throw Error(fmt::format("cannot create {}: {}", temporary.path().string(), errno_text()));
    size_t written = 0;
    while (written < content.size()) {
      ssize_t n = ::write(fd.get(), content.data() + written, content.size() - written);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw Error(fmt::format("cannot write {}: {}", temporary.path().string(), errno_text()));
      }
      written += static_cast<size_t>(n);
    }
    // The umask may have narrowed the mode given to open().
    if (::fchmod(fd.get(), static_cast<mode_t>(mode)) != 0)
      throw Error(fmt::format("cannot chmod {}: {}", temporary.path().string(), errno_text()));
  }
  temporary.commit();
}

}  // namespace trustnet
