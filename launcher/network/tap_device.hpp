#pragma once
// Persistent tap devices through /dev/net/tun: made once with an owner, so that QEMU running as
// that user can open them without privileges.
#include <sys/types.h>

#include <string>

namespace trustnet::launcher {

void create_persistent_tap(const std::string& name, uid_t owner);

// The uid in /sys/class/net/NAME/owner, -1 when the tap admits anyone or does not exist.
long tap_owner(const std::string& name);

}  // namespace trustnet::launcher
