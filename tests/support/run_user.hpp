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

inline void give_to_run_user(const std::filesystem::path& path) {
  if (::lchown(path.c_str(), run_user().pw_uid, run_user().pw_gid) != 0)
    throw std::runtime_error("cannot give " + path.string() + " to trustnet");
  if (std::filesystem::is_directory(std::filesystem::symlink_status(path)))
    for (const auto& entry : std::filesystem::recursive_directory_iterator(path))
      if (::lchown(entry.path().c_str(), run_user().pw_uid, run_user().pw_gid) != 0)
        throw std::runtime_error("cannot give " + entry.path().string() + " to trustnet");
}

}  // namespace trustnet::test
