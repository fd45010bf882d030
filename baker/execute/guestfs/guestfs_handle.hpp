#pragma once
// RAII owner of a libguestfs handle. Closing it stops the appliance (QEMU) if it runs.
#include <guestfs.h>

#include "common/handles/c_handle.hpp"

namespace trustnet::baker {

using GuestfsHandle = CHandle<guestfs_h, guestfs_close>;

}  // namespace trustnet::baker
