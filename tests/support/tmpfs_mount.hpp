#pragma once
// A small tmpfs mounted for one test (a filesystem that can be filled up); needs root.
#include <fmt/format.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace trustnet::test {

class TmpfsMount {
 public:
  TmpfsMount(std::filesystem::path where, uint64_t bytes) : where_(std::move(where)) {
    std::filesystem::create_directories(where_);
    const std::string options = fmt::format("size={},mode=0755", bytes);
    if (::mount("tmpfs", where_.c_str(), "tmpfs", 0, options.c_str()) != 0)
      throw std::runtime_error(
          fmt::format("cannot mount a tmpfs on {} (root needed): {}", where_.string(), std::strerror(errno)));
  }
  ~TmpfsMount() { ::umount2(where_.c_str(), MNT_DETACH); }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;

  const std::filesystem::path& path() const { return where_; }

  // Writes `file` until the filesystem has no room left; returns the bytes written.
  uint64_t fill(const std::filesystem::path& file) const {
    std::ofstream out(file, std::ios::binary);
    const std::vector<char> block(1 << 16, 'x');
    uint64_t written = 0;
    while (out.write(block.data(), static_cast<std::streamsize>(block.size()))) {
      out.flush();
      if (!out) break;
      written += block.size();
    }
    return written;
  }

 private:
  std::filesystem::path where_;
};

}  // namespace trustnet::test
