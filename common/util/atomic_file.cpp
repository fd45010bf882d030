#include "common/util/atomic_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/handles/unique_fd.hpp"
#include "common/util/error.hpp"

namespace trustnet {
namespace fs = std::filesystem;

namespace {

std::string errno_text() { return std::strerror(errno); }

void sync_path(const fs::path& path, int flags) {
  UniqueFd fd(::open(path.c_str(), flags | O_CLOEXEC));
  if (!fd.valid()) throw Error(fmt::format("cannot open {}: {}", path.string(), errno_text()));
  if (::fsync(fd.get()) != 0) throw Error(fmt::format("cannot sync {}: {}", path.string(), errno_text()));
}

fs::path parent_or_dot(const fs::path& path) { return path.has_parent_path() ? path.parent_path() : fs::path("."); }

}  // namespace

std::string temporary_prefix(const fs::path& final_path) {
  return fmt::format(".{}.tmp-", final_path.filename().string());
}

fs::path temporary_name(const fs::path& final_path) {
  return parent_or_dot(final_path) /
         fmt::format("{}{}-{}", temporary_prefix(final_path), static_cast<long>(::getpid()), random_suffix());
}

std::vector<fs::path> remove_leftover_temporaries(const fs::path& final_path) {
  std::vector<fs::path> removed;
  const fs::path dir = parent_or_dot(final_path);
  const std::string prefix = temporary_prefix(final_path), ours = prefix + std::to_string(::getpid()) + "-";
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(prefix) || name.starts_with(ours)) continue;
    const auto status = entry.symlink_status();
    if (fs::is_symlink(status)) continue;
    if (fs::is_directory(status)) {  // a ScratchFolder
      if (fs::remove_all(entry.path(), error) > 0) removed.push_back(entry.path());
      continue;
    }
    if (!fs::is_regular_file(status)) continue;
    if (fs::remove(entry.path(), error)) removed.push_back(entry.path());
  }
  return removed;
}

std::string random_suffix() {
  uint64_t value = 0;
  if (::getrandom(&value, sizeof(value), 0) != static_cast<ssize_t>(sizeof(value)))
    throw Error(fmt::format("cannot read random bytes: {}", errno_text()));
  return fmt::format("{:016x}", value);
}

TemporaryPath::TemporaryPath(fs::path final_path, fs::perms final_mode)
    : final_(std::move(final_path)), final_mode_(final_mode) {
  for (int attempt = 0;; ++attempt) {
    temporary_ = temporary_name(final_);
    // Ours alone: never an existing file, never through a link someone planted.
    UniqueFd fd(::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd.valid()) {
      // The umask may have narrowed 0600 further; keep exactly 0600 until commit.
      if (::fchmod(fd.get(), 0600) != 0)
        throw Error(fmt::format("cannot chmod {}: {}", temporary_.string(), errno_text()));
      return;
    }
    if (errno != EEXIST || attempt == 10)
      throw Error(fmt::format("cannot create {}: {}", temporary_.string(), errno_text()));
  }
}

TemporaryPath::~TemporaryPath() {
  if (!committed_) {
    std::error_code ignored;
    fs::remove(temporary_, ignored);
  }
}

void TemporaryPath::commit() {
  {
    UniqueFd fd(::open(temporary_.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) throw Error(fmt::format("cannot open {}: {}", temporary_.string(), errno_text()));
    if (::fchmod(fd.get(), static_cast<mode_t>(final_mode_)) != 0)
      throw Error(fmt::format("cannot chmod {}: {}", temporary_.string(), errno_text()));
    if (::fsync(fd.get()) != 0) throw Error(fmt::format("cannot sync {}: {}", temporary_.string(), errno_text()));
  }
  if (::rename(temporary_.c_str(), final_.c_str()) != 0)
    throw Error(fmt::format("cannot rename {} to {}: {}", temporary_.string(), final_.string(), errno_text()));
  committed_ = true;
  sync_path(parent_or_dot(final_), O_RDONLY | O_DIRECTORY);
}

void write_file_atomically(const fs::path& target, std::string_view content, fs::perms mode) {
  TemporaryPath temporary(target, mode);
  {
    UniqueFd fd(::open(temporary.path().c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) throw Error(fmt::format("cannot create {}: {}", temporary.path().string(), errno_text()));
    size_t written = 0;
    while (written < content.size()) {
      ssize_t n = ::write(fd.get(), content.data() + written, content.size() - written);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw Error(fmt::format("cannot write {}: {}", temporary.path().string(), errno_text()));
      }
      written += static_cast<size_t>(n);
    }
  }
  temporary.commit();
}

}  // namespace trustnet
