#include "common/util/scratch_folder.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/util/atomic_file.hpp"
#include "common/util/error.hpp"

namespace trustnet {
namespace fs = std::filesystem;

ScratchFolder::ScratchFolder(const fs::path& final_path) {
  const fs::path dir = final_path.has_parent_path() ? final_path.parent_path() : fs::path(".");
  for (int attempt = 0;; ++attempt) {
    path_ = dir / fmt::format("{}{}-{}", temporary_prefix(final_path), static_cast<long>(::getpid()), random_suffix());
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
