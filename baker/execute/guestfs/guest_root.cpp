#include "baker/execute/guestfs/guest_root.hpp"

#include <sys/stat.h>

namespace trustnet::baker {

RootStat GuestRoot::lstat(const std::string& path) {
  const GuestStat st = guest_.lstat(path);
  return {st.mode, st.uid, st.gid, st.size, st.links};
}

std::vector<std::string> GuestRoot::other_names(const std::string& path) {
  const GuestStat st = guest_.lstat(path);
  if (!S_ISREG(st.mode) || st.links < 2) return {};
  // Rare (a base's hard-linked file rewritten), so one walk of the tree when it happens.
  std::vector<std::string> names;
  for (const auto& relative : guest_.list_files("/")) {
    const std::string candidate = "/" + relative;
    if (candidate == path || guest_.is_symlink(candidate) || guest_.is_dir(candidate)) continue;
    if (guest_.lstat(candidate).inode == st.inode) names.push_back(candidate);
  }
  return names;
}

}  // namespace trustnet::baker
