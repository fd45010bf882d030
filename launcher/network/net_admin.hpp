#pragma once
// The one message for a missing CAP_NET_ADMIN, wherever the kernel refuses.
#include <fmt/format.h>

#include <string>

#include "common/util/error.hpp"

namespace trustnet::launcher {

inline Error net_admin_missing(const std::string& doing) {
  return Error(
      fmt::format("{} needs CAP_NET_ADMIN: run `launch network` as root (sudo) or grant it with "
                  "`setcap cap_net_admin+ep $(command -v launch)`",
                  doing));
}

}  // namespace trustnet::launcher
