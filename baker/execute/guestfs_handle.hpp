#pragma once
// RAII owner of a libguestfs handle. Closing it stops the appliance (QEMU) if it runs.
#include <guestfs.h>

#include <memory>

namespace trustnet::baker {

struct GuestfsDeleter {
  void operator()(guestfs_h* g) const { guestfs_close(g); }
};
using GuestfsHandle = std::unique_ptr<guestfs_h, GuestfsDeleter>;

}  // namespace trustnet::baker
