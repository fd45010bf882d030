#include "common/transfer/input_cache.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/util/atomic_file.hpp"
#include "common/util/error.hpp"
#include "common/util/private_folder.hpp"
#include "common/util/sha256.hpp"
#include "common/util/text_file.hpp"

namespace trustnet {
namespace fs = std::filesystem;

InputCache::InputCache(fs::path root) : root_(std::move(root)) {}

fs::path InputCache::default_root() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return fs::path(xdg) / "trustnet";
  if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / ".cache" / "trustnet";
  throw Error("neither XDG_CACHE_HOME nor HOME is set; pass --cache DIR");
}

void InputCache::check_trusted() const { make_private_folder(root_, "a cache of verified downloads"); }

fs::path InputCache::entry(const std::string& sha256) const { return root_ / "sha256" / sha256; }

bool InputCache::has(const std::string& sha256) const { return fs::is_regular_file(entry(sha256)); }

bool InputCache::holds(const fs::path& file) const { return file.parent_path() == root_ / "sha256"; }

fs::path InputCache::partial(const std::string& sha256) const { return root_ / "partial" / (sha256 + ".part"); }

FileLock InputCache::lock(const std::string& sha256) const {
  std::error_code error;
  fs::create_directories(root_ / "partial", error);
  if (error)
    throw Error(fmt::format("cannot create the cache folder {}: {}", (root_ / "partial").string(), error.message()));
  return FileLock::acquire(root_ / "partial" / (sha256 + ".lock"));
}

fs::path InputCache::listing(const std::string& base_sha256) const {
  return root_ / "listings" / (base_sha256 + ".mtree");
}

std::optional<std::string> InputCache::read_listing(const std::string& base_sha256) const {
  const fs::path file = listing(base_sha256);
  if (!fs::is_regular_file(file)) return std::nullopt;
  return read_text_file(file);
}

void InputCache::keep_listing(const std::string& base_sha256, const std::string& mtree_text) const {
  std::error_code error;
  fs::create_directories(root_ / "listings", error);
  if (error)
    throw Error(fmt::format("cannot create the cache folder {}: {}", (root_ / "listings").string(), error.message()));
  write_file_atomically(listing(base_sha256), mtree_text, fs::perms(0444));
}

std::string InputCache::keep(const std::string& bytes) const {
  const std::string sha256 = sha256_hex(bytes);
  if (has(sha256)) return sha256;
  std::error_code error;
  fs::create_directories(entry(sha256).parent_path(), error);
  if (error)
    throw Error(
        fmt::format("cannot create the cache folder {}: {}", entry(sha256).parent_path().string(), error.message()));
  write_file_atomically(entry(sha256), bytes, fs::perms(0444));
  return sha256;
}

void InputCache::admit(const fs::path& verified, const std::string& sha256) const {
  const fs::path target = entry(sha256);
  std::error_code error;
  fs::create_directories(target.parent_path(), error);
  if (error)
    throw Error(fmt::format("cannot create the cache folder {}: {}", target.parent_path().string(), error.message()));
  if (::chmod(verified.c_str(), 0444) != 0)
    throw Error(fmt::format("cannot chmod {}: {}", verified.string(), std::strerror(errno)));
  if (::rename(verified.c_str(), target.c_str()) != 0)
    throw Error(fmt::format("cannot move {} into the cache: {}", verified.string(), std::strerror(errno)));
}

}  // namespace trustnet
