#include "common/util/scratch_folder.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "common/util/atomic_file.hpp"
#include "common/util/error.hpp"

namespace trustnet {
namespace fs = std::filesystem;

ScratchFolder::ScratchFolder(const fs::path& final_path) {
  for (int attempt = 0;; ++attempt) {
    path_ = temporary_name(final_path);
    if (::mkdir(path_.c_str(), 0700) == 0) return;
    if (errno != EEXIST || attempt == 10)
      throw Error(fmt::format("cannot create {}: {}", path_.string(), std::strerror(errno)));
  }
}

ScratchFolder::~ScratchFolder() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

}  // namespace trustnet
