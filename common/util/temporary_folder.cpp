#include "common/util/temporary_folder.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/util/atomic_file.hpp"
#include "common/util/error.hpp"

namespace trustnet {
namespace fs = std::filesystem;

TemporaryFolder::TemporaryFolder(fs::path final_path) : final_(std::move(final_path)) {
  // mkdir fails on anything already there, so the folder is ours.
  for (int attempt = 0;; ++attempt) {
    path_ = final_.parent_path() / fmt::format("{}{}-{}", temporary_prefix(final_), ::getpid(), random_suffix());
    if (::mkdir(path_.c_str(), 0700) == 0) return;
    if (errno != EEXIST || attempt == 10)
      throw Error(fmt::format("cannot create {}: {}", path_.string(), std::strerror(errno)));
  }
}

TemporaryFolder::~TemporaryFolder() {
  std::error_code ignored;
  if (!committed_) fs::remove_all(path_, ignored);
}

void TemporaryFolder::commit() {
  fs::permissions(path_, fs::perms(0755));
  const fs::path old =
      final_.parent_path() / fmt::format(".{}.old-{}-{}", final_.filename().string(), ::getpid(), random_suffix());
  if (fs::exists(final_)) fs::rename(final_, old);
  fs::rename(path_, final_);
  committed_ = true;
  std::error_code ignored;
  fs::remove_all(old, ignored);
}

}  // namespace trustnet
