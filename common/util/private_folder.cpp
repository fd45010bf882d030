#include "common/util/private_folder.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "common/util/error.hpp"

namespace trustnet {
namespace fs = std::filesystem;

namespace {

struct stat lstat_or_throw(const fs::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0)
    throw Error(fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)));
  return st;
}

// `purpose` says what the tree is for ("folders that hold instance secrets").
Error unsafe(const fs::path& dir, const std::string& why, const std::string& fix, std::string_view purpose) {
  return Error(fmt::format("{} {}; {} ({} must be yours alone)", dir.string(), why, fix, purpose), ExitCode::bad_input);
}

// "not by you (uid 0)", or when the tree is another account's (root checking the run user's),
// "not by trustnet (uid 105)".
std::string not_owner(uid_t owner) {
  return owner == ::geteuid() ? fmt::format("not by you (uid {})", owner) : fmt::format("not by uid {}", owner);
}

// The folder itself or one inside it: the owner's, a real folder, not writable by anyone else.
void check_own(const fs::path& dir, std::string_view purpose, uid_t owner) {
  const struct stat st = lstat_or_throw(dir);
  if (S_ISLNK(st.st_mode)) throw unsafe(dir, "is a symbolic link", "replace it with a folder", purpose);
  if (!S_ISDIR(st.st_mode)) throw unsafe(dir, "is not a folder", "move it away", purpose);
  if (st.st_uid != owner)
    throw unsafe(dir, fmt::format("is owned by uid {}, {}", st.st_uid, not_owner(owner)),
                 "remove it or use another folder", purpose);
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    throw unsafe(dir, fmt::format("is writable by its group or others (mode {:04o})", st.st_mode & 07777),
                 "run chmod go-w on it", purpose);
}

// A file in the tree: ours, not a link (it could lead to anyone's file), not writable by others.
void check_own_file(const fs::path& file, const struct stat& st, std::string_view purpose, uid_t owner) {
  if (S_ISLNK(st.st_mode)) throw unsafe(file, "is a symbolic link", "remove it", purpose);
  if (st.st_uid != owner)
    throw unsafe(file, fmt::format("is owned by uid {}, {}", st.st_uid, not_owner(owner)), "remove it", purpose);
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    throw unsafe(file, fmt::format("is writable by its group or others (mode {:04o})", st.st_mode & 07777),
                 "remove it, or run chmod go-w on it if it is yours", purpose);
}

// Why a folder above something (`below`: "the state folder") would let anyone but root and
// `owner` swap what it holds; nothing when it would not.
std::optional<std::string> swappable(const fs::path& dir, uid_t owner, std::string_view below) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) throw Error(fmt::format("cannot read {}: {}", dir.string(), std::strerror(errno)));
  if (st.st_uid != 0 && st.st_uid != owner)
    return fmt::format("{} (above {}) is owned by uid {}", dir.string(), below, st.st_uid);
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
    return fmt::format("{} (above {}) is writable by others (mode {:04o}) and not sticky", dir.string(), below,
                       st.st_mode & 07777);
  return std::nullopt;
}

// The first problem of the folders above `path` that exist, from its parent up to /.
std::optional<std::string> swappable_above(const fs::path& path, uid_t owner, std::string_view below) {
  for (fs::path above = path.parent_path(); !above.empty(); above = above.parent_path()) {
    if (fs::exists(above))
      if (auto problem = swappable(above, owner, below)) return problem;
    if (above == above.root_path()) break;
  }
  return std::nullopt;
}

// Everything below `dir`. Entries may come and go while the tree is read (a pin copied beside
// it, then renamed into place): one gone by the time it is looked at is no hazard and is passed
// over; every entry that is there is checked.
void check_entries(const fs::path& dir, std::string_view purpose, uid_t owner) {
  std::error_code error;
  fs::directory_iterator it(dir, error);
  if (error == std::errc::no_such_file_or_directory) return;
  if (error) throw Error(fmt::format("cannot read {}: {}", dir.string(), error.message()));
  for (; it != fs::directory_iterator(); it.increment(error)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0) {
      if (errno == ENOENT) continue;
      throw Error(fmt::format("cannot read {}: {}", it->path().string(), std::strerror(errno)));
    }
    if (S_ISDIR(st.st_mode)) {
      check_own(it->path(), purpose, owner);
      check_entries(it->path(), purpose, owner);
    } else if (S_ISLNK(st.st_mode) && fs::is_directory(it->path())) {
      check_own(it->path(), purpose, owner);  // refused: a link could lead anywhere
    } else {
      check_own_file(it->path(), st, purpose, owner);
    }
  }
  if (error) throw Error(fmt::format("cannot read {}: {}", dir.string(), error.message()));
}

}  // namespace

void check_folders_above(const fs::path& dir, std::string_view purpose, uid_t owner) {
  if (auto problem = swappable_above(fs::absolute(dir).lexically_normal(), owner, "the state folder"))
    throw Error(fmt::format("{}; choose a state folder under your own ({} must be yours alone)", *problem, purpose),
                ExitCode::bad_input);
}

std::optional<std::string> untrusted_file(const fs::path& file, std::string_view what) {
  const uid_t caller = ::getuid();
  const std::string owners = caller == 0 ? "root" : "root or you";
  std::error_code error;
  const fs::path real = fs::canonical(file, error);
  struct stat st {};
  if (error || ::stat(real.c_str(), &st) != 0)
    return fmt::format("{} {} cannot be read: {}", what, file.string(), error ? error.message() : std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return fmt::format("{} {} is not a regular file", what, file.string());
  const std::string reason = fmt::format("launch acts on it and trusts only a file of {} alone", owners);
  if (st.st_uid != 0 && st.st_uid != caller)
    return fmt::format("{} {} is owned by uid {}, not by {} ({})", what, file.string(), st.st_uid, owners, reason);
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return fmt::format("{} {} is writable by its group or others (mode {:04o}): run chmod go-w on it ({})", what,
                       file.string(), st.st_mode & 07777, reason);
  if (auto problem = swappable_above(real, caller, fmt::format("{} {}", what, file.string())))
    return fmt::format("{} ({})", *problem, reason);
  return std::nullopt;
}

void check_private_tree(const fs::path& root, std::string_view purpose) {
  check_private_tree(root, purpose, ::geteuid());
}

void check_private_tree(const fs::path& root, std::string_view purpose, uid_t owner) {
  // A folder given through a link is fine; what the link leads to is checked.
  const fs::path real = fs::canonical(root);
  check_folders_above(real, purpose, owner);
  check_own(real, purpose, owner);
  check_entries(real, purpose, owner);
}

void make_private_folder(const fs::path& dir, std::string_view purpose) {
  std::vector<fs::path> missing;
  for (fs::path p = fs::absolute(dir).lexically_normal(); !p.empty() && !fs::exists(fs::symlink_status(p));
       p = p.parent_path())
    missing.push_back(p);
  for (auto it = missing.rbegin(); it != missing.rend(); ++it)
    if (::mkdir(it->c_str(), 0700) != 0 && errno != EEXIST)
      throw Error(fmt::format("cannot create {}: {}", it->string(), std::strerror(errno)));
  check_private_tree(dir, purpose);
}

}  // namespace trustnet
