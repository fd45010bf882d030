#pragma once
// The account `launch` becomes when the tests (run as root) run it: the configuration's user:,
// trustnet by default (scripts/setup makes it, as the package's postinst does). Files a test
// plants in a state folder are given to it, as if launch had written them.
#include <pwd.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace trustnet::test {

inline const passwd& run_user() {
  static const passwd* entry = ::getpwnam("trustnet");
  if (!entry) throw std::runtime_error("no user trustnet: run scripts/setup (adduser --system --group trustnet)");
  return *entry;
}

// `path` and everything below it, to `uid`: the run user's, or back to the test's own account
// when a test drives the orchestration in its own process, as the run user would.
inline void give_to(const std::filesystem::path& path, uid_t uid, gid_t gid) {
  if (::lchown(path.c_str(), uid, gid) != 0) throw std::runtime_error("cannot give " + path.string() + " away");
  if (std::filesystem::is_directory(std::filesystem::symlink_status(path)))
    for (const auto& entry : std::filesystem::recursive_directory_iterator(path))
      if (::lchown(entry.path().c_str(), uid, gid) != 0)
        throw std::runtime_error("cannot give " + entry.path().string() + " away");
}

inline void give_to_run_user(const std::filesystem::path& path) { give_to(path, run_user().pw_uid, run_user().pw_gid); }

}  // namespace trustnet::test
