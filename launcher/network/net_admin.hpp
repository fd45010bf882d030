#pragma once
// The one message for a missing CAP_NET_ADMIN, wherever the kernel refuses.
#include <fmt/format.h>

#include <string>

#include "common/util/error.hpp"

namespace trustnet::launcher {

inline Error net_admin_missing(const std::string& doing) {
  return Error(
      // Not setcap on launch: that would hand the bridge to every local user who can run it.
      fmt::format("{} needs CAP_NET_ADMIN: run `sudo launch network up` (the service does it as root)", doing));
}

}  // namespace trustnet::launcher
