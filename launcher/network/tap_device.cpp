#include "launcher/network/tap_device.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "common/handles/unique_fd.hpp"
#include "common/util/error.hpp"
#include "launcher/network/net_admin.hpp"

namespace trustnet::launcher {

void create_persistent_tap(const std::string& name, uid_t owner) {
  UniqueFd tun(::open("/dev/net/tun", O_RDWR | O_CLOEXEC));
  if (!tun.valid()) throw Error(fmt::format("cannot open /dev/net/tun to make tap {}: {}", name, std::strerror(errno)));
  ifreq request{};
  request.ifr_flags = IFF_TAP | IFF_NO_PI;
  std::strncpy(request.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (::ioctl(tun.get(), TUNSETIFF, &request) < 0) {
    if (errno == EPERM) throw net_admin_missing(fmt::format("making tap {}", name));
    throw Error(fmt::format("cannot make tap {}: {}", name, std::strerror(errno)));
  }
  if (::ioctl(tun.get(), TUNSETOWNER, static_cast<unsigned long>(owner)) < 0)
    throw Error(fmt::format("cannot give tap {} to uid {}: {}", name, owner, std::strerror(errno)));
  if (::ioctl(tun.get(), TUNSETPERSIST, 1UL) < 0)
    throw Error(fmt::format("cannot make tap {} persistent: {}", name, std::strerror(errno)));
}

long tap_owner(const std::string& name) {
  std::ifstream in("/sys/class/net/" + name + "/owner");
  long owner = -1;
  if (!(in >> owner)) return -1;
  return owner;
}

}  // namespace trustnet::launcher
